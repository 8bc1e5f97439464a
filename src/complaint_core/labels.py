"""Bilingual labels: public names are English, what users read comes in Chinese and English."""

from __future__ import annotations

from typing import Literal

import attrs

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


@attrs.frozen
class Labels:
    zh: str
    en: str

    def __call__(self, lang: Language) -> str:
        return self.zh if lang == "zh" else self.en
