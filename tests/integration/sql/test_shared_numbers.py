"""Case numbers are unique in a store, also across policies with the same template (P1-NUM / P2-NUM / default).

The service, bank-branch and auto-dealer presets all number ``{yyyy}{mm}{seq:04}``: each policy counts its own
serials, so the second policy's first case used to get a taken number, and every retry got the same one again.
"""

from __future__ import annotations

import sqlkit
from sqlkit import AT

from complaint_core import Channel, Intake


def test_two_policies_with_one_template_share_the_numbers(backend: sqlkit.Backend) -> None:
    service = backend.service()
    service_case = service.receive(Intake(customer="甲", channel=Channel.PHONE, category="quality"),
                                   actor="cs", at=AT, policy_id="service")  # fmt: skip
    bank_case = service.receive(Intake(customer="乙", channel=Channel.PHONE, category="service"),
                                actor="cs", at=AT, policy_id="bank-branch")  # fmt: skip
    numbers = [service.register(c.case_id, actor="gm", at=AT).number for c in (service_case, bank_case)]
    assert numbers == ["2026110001", "2026110002"]
    again = service.receive(Intake(customer="丙", channel=Channel.PHONE, category="quality"),
                            actor="cs", at=AT, policy_id="service")  # fmt: skip
    assert service.register(again.case_id, actor="gm", at=AT).number == "2026110003"  # 0002 is taken: skipped
