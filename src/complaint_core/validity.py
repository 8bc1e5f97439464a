"""The validity finding of P3-CLS-03 (判定客户投诉理由是否充分,投诉要求是否合理).

After investigating the cause, the customer-relations manager judges two things
and writes them on the handling form (P3-FORM-01): whether the customer's reason
is sufficient, and whether the customer's request is reasonable. They are
separate findings: a well-founded complaint may ask for too much. A complaint
whose reason is sufficient is established, so it cannot be found not
established.
"""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Validity:
    reason_sufficient: bool
    request_reasonable: bool
