"""The lead grouping reads: a page's lead paragraph (prose only, capped, any script), or
the summary's when the page has none."""

from __future__ import annotations

import pytest

from monitor.stories.leads import LEAD_COLUMNS, LEAD_WORDS, columns, grouping_lead, page_lead

LEAD = (
    "Hundreds of Iranian Revolutionary Guard troops landed at Latakia airport on Tuesday,"
    " Syrian officials said."
)
SECOND = "More flights were expected later in the week, one of the officials added."
ARABIC = (
    "أعلنت بلدية المدينة يوم الثلاثاء إغلاق الجسر القديم أمام السيارات بعد أن وجد المهندسون"
    " تشققات في أعمدته الحجرية."
)
RUSSIAN = (
    "Городская администрация во вторник закрыла старый мост для машин после того, как"
    " инженеры нашли трещины в его опорах."
)
CHINESE = (
    "叙利亚官员说，数百名伊朗革命卫队士兵周二在拉塔基亚机场降落，"
    "这是战争开始以来首次向沿海省份部署。"
)
JAPANESE = "シリア当局によると、イラン革命防衛隊の部隊数百人が火曜日、ラタキア空港に到着した。"
LONG_CHINESE = "伊朗军队抵达拉塔基亚" * 30  # 300 characters, no punctuation, no spaces


@pytest.mark.parametrize(
    ("body", "lead"),
    [
        pytest.param(f"{LEAD}\n\n{SECOND}", f"{LEAD} {SECOND}", id="first-paragraphs"),
        pytest.param(
            f"By Jane Doe, Reuters\n\nUpdated 3 March 2026, 09:12 GMT\n\nShare\n\n{LEAD}",
            LEAD,
            id="byline-time-and-share-skipped",
        ),
        pytest.param(f"BEIRUT, March 3 —\n{LEAD}", LEAD, id="dateline-alone-skipped"),
        pytest.param(
            f"BEIRUT (Reuters) - {LEAD}", f"BEIRUT (Reuters) - {LEAD}", id="dateline-kept-in-lead"
        ),
        pytest.param(f"Listen to this article\n{ARABIC}", ARABIC, id="arabic"),
        pytest.param(f"Автор: Иван Петров\n{RUSSIAN}", RUSSIAN, id="russian"),
        pytest.param(f"新华社北京3月3日电\n{CHINESE}", CHINESE, id="chinese-byline-skipped"),
        pytest.param(JAPANESE, JAPANESE, id="japanese-one-sentence"),
        pytest.param(f"“{LEAD}”", f"“{LEAD}”", id="sentence-ends-inside-quotes"),
        pytest.param("By Jane Doe\n\nPhoto: Reuters\n\nAdvertisement", "", id="no-prose"),
        pytest.param("\n".join(["Share"] * 12 + [LEAD]), "", id="prose-too-far-down"),
        pytest.param("", "", id="empty"),
    ],
)
def test_page_lead_is_the_first_prose_of_the_page(body: str, lead: str) -> None:
    assert page_lead(body, "Iranian troops land in Latakia") == lead


def test_page_lead_is_capped_in_words() -> None:
    body = " ".join(f"word{number}" for number in range(100)) + "."
    assert page_lead(body, "t").split() == [f"word{number}" for number in range(LEAD_WORDS)]


@pytest.mark.parametrize(
    ("body", "lead"),
    [
        pytest.param(LONG_CHINESE, LONG_CHINESE[: LEAD_COLUMNS // 2], id="hard-cut-without-spaces"),
        pytest.param(" ".join([CHINESE] * 8), " ".join([CHINESE] * 3), id="cut-at-a-space"),
    ],
)
def test_page_lead_of_a_script_without_spaces_is_capped_in_columns(body: str, lead: str) -> None:
    assert page_lead(body, "t") == lead
    assert columns(lead) <= LEAD_COLUMNS


def test_a_page_lead_repeating_the_title_is_no_lead() -> None:
    title = "Iranian Revolutionary Guard troops landed at Latakia airport on Tuesday!"
    assert page_lead(title[:-1] + ".", title) == ""


@pytest.mark.parametrize(
    ("summary", "page", "lead"),
    [
        pytest.param("Tehran's move comes amid…", LEAD, LEAD, id="page-lead-over-teaser"),
        pytest.param("Hundreds of troops landed.", "", "Hundreds of troops landed.", id="no-page"),
        pytest.param("", "", "", id="neither"),
    ],
)
def test_grouping_uses_the_page_lead_when_there_is_one(summary: str, page: str, lead: str) -> None:
    assert grouping_lead("Tehran sends forces to the coast", summary, page) == lead


@pytest.mark.parametrize(
    ("text", "width"),
    [("Latakia", 7), ("拉塔基亚", 8), ("ラタキア", 8), ("اللاذقية", 8), ("ＡＢ", 4)],
)
def test_columns_count_wide_characters_twice(text: str, width: int) -> None:
    assert columns(text) == width
