import datetime as dt
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publishing.report_i18n import (
    TEXT,
    check_lang,
    day_label,
    format_count,
    format_money,
    format_pct,
    format_signed_money,
    money_axis,
    month_label,
    region_name,
    short_month_label,
    text,
)


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (754_000_000, "7.54亿元", "CNY 754M"),
        (8_634_000_000, "86.3亿元", "CNY 8.63B"),
        (5_584_000, "558万元", "CNY 5.58M"),
        (12_345, "1.23万元", "CNY 12.3K"),
        (999, "999元", "CNY 999"),
        (-5_584_000, "-558万元", "-CNY 5.58M"),
        (999_600, "100万元", "CNY 1.00M"),  # decided on the rounded value: not "100.0万"
        (0, "0元", "CNY 0"),
    ],
)
def test_money_is_written_in_wan_and_yi_in_chinese_and_k_m_b_in_english(value, zh, en):
    assert format_money(value, "zh") == zh
    assert format_money(value, "en") == en


def test_missing_money_and_shares_are_written_as_not_available():
    assert format_money(None, "zh") == "暂无"
    assert format_money(math.nan, "en") == "n/a"
    assert format_pct(None, "en") == "n/a"
    assert format_count(math.inf, "zh") == "暂无"


def test_a_currency_other_than_cny_keeps_its_code():
    assert format_money(5_584_000, "zh", "USD") == "558万 USD"
    assert format_money(5_584_000, "en", "USD") == "USD 5.58M"


def test_changes_carry_an_explicit_plus():
    assert format_signed_money(216_298, "en") == "+CNY 216K"
    assert format_signed_money(-216_298, "zh") == "-21.6万元"
    assert format_signed_money(0, "en") == "CNY 0"


@pytest.mark.parametrize(
    ("work", "shown"), [(2.3, "3"), (3.0000001, "3"), (0.0, "0"), (1234.2, "1,235")]
)
def test_required_work_is_rounded_up_to_whole_items(work, shown):
    assert format_count(work, "en") == shown


_ZH_SCALES = {"亿": 1e8, "万": 1e4, "": 1.0}
_EN_SCALES = {"B": 1e9, "M": 1e6, "K": 1e3, "": 1.0}


def _parse(shown: str, lang: str) -> float:
    if lang == "zh":
        number, word = re.fullmatch(r"(-?[\d,.]+)(亿|万|)元", shown).groups()
        return float(number.replace(",", "")) * _ZH_SCALES[word]
    sign, number, word = re.fullmatch(r"(-?)CNY ([\d,.]+)([BMK]?)", shown).groups()
    return (-1 if sign else 1) * float(number.replace(",", "")) * _EN_SCALES[word]


@given(
    value=st.floats(min_value=-1e13, max_value=1e13, allow_nan=False),
    lang=st.sampled_from(["zh", "en"]),
)
def test_written_money_reads_back_within_half_a_percent(value, lang):
    # Three significant digits: the rounding error is at most 0.5 in the last digit.
    shown = format_money(value, lang)
    assert _parse(shown, lang) == pytest.approx(value, rel=0.005, abs=0.5)


@pytest.mark.parametrize(
    ("largest", "lang", "axis"),
    [
        (5e7, "zh", (1e4, "万元")),
        (2e10, "zh", (1e8, "亿元")),
        (500.0, "zh", (1.0, "元")),
        (5e7, "en", (1e6, "CNY M")),
        (5e5, "en", (1e3, "CNY K")),
        (2e10, "en", (1e9, "CNY B")),
    ],
)
def test_chart_axes_use_one_named_unit(largest, lang, axis):
    assert money_axis(largest, lang) == axis


def test_months_and_days_are_written_for_the_language():
    august = dt.date(2026, 8, 1)
    assert month_label(august, "zh") == "2026年8月"
    assert month_label(august, "en") == "Aug 2026"
    assert short_month_label(august, "zh") == "8月"
    assert short_month_label(august, "en") == "Aug"
    assert day_label(dt.date(2026, 7, 31), "zh") == "2026年7月31日"
    assert day_label(dt.date(2026, 7, 31), "en") == "31 Jul 2026"


def test_region_codes_get_names_and_unknown_codes_stay_as_they_are():
    assert region_name("EAST", "zh") == "华东"
    assert region_name("INTL", "en") == "International"
    assert region_name("MARS", "zh") == "MARS"


def test_every_sentence_exists_in_both_languages_with_the_same_placeholders():
    for key, sentences in TEXT.items():
        assert set(sentences) == {"zh", "en"}, key
        fields = {lang: set(re.findall(r"{(\w+)}", s)) for lang, s in sentences.items()}
        assert fields["zh"] == fields["en"], key


def test_sentences_fill_in_their_values():
    assert text("remaining_note", "en", n=5, avg="CNY 8.70M") == "over 5 months, CNY 8.70M a month"


def test_an_unsupported_language_names_the_supported_ones():
    assert check_lang("zh") == "zh"
    with pytest.raises(ValueError, match="'de' is not supported; use one of zh, en"):
        check_lang("de")
