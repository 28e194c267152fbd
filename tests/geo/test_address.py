"""Parsing the administrative prefix of addresses, and geocoding against a small Wuchang gazetteer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minhu.geo.address import Candidate, Gazetteer, ParsedAddress, PlaceEntry, normalize, parse_admin

KNOWN = {"武昌": "武昌区", "武汉": "武汉市", "湖北": "湖北省"}

JIYUQIAO = "420106001"  # 积玉桥街
HEPING = "420106001001"  # 和平社区
BINJIANG = "420106001002"  # 滨江社区
ZHONGNANLU = "420106009"  # 中南路街
ZHONGNAN = "420106009001"  # 中南社区


def place(name: str, kind: str, unit: str | None, *aliases: str, lon: float = 114.31, lat: float = 30.57) -> PlaceEntry:
    return PlaceEntry(name=name, kind=kind, aliases=aliases, lon=lon, lat=lat, unit_code=unit)


ENTRIES = [
    place("和平大道", "road", None, lon=114.320, lat=30.575),
    place("中南路", "road", None, lon=114.333, lat=30.540),
    place("临江大道", "road", None, lon=114.305, lat=30.565),
    place("积玉桥街", "street", JIYUQIAO, "积玉桥街道", lon=114.310, lat=30.572),
    place("中南路街", "street", ZHONGNANLU, "中南路街道", lon=114.335, lat=30.538),
    place("和平社区", "community", HEPING, "和平", lon=114.312, lat=30.574),
    place("滨江社区", "community", BINJIANG, lon=114.306, lat=30.569),
    place("中南社区", "community", ZHONGNAN, lon=114.336, lat=30.537),
    place("滨江苑", "estate", BINJIANG, "滨江苑小区", lon=114.3065, lat=30.5695),
    place("和平花园", "estate", HEPING + "003", lon=114.3125, lat=30.5745),
    place("中南花园", "estate", ZHONGNAN, lon=114.3362, lat=30.5372),
    place("积玉桥地铁站", "landmark", JIYUQIAO, lon=114.3105, lat=30.5728),
    place("首义广场", "landmark", "420106002", lon=114.300, lat=30.545),
    place("武汉大学", "landmark", "420106011", lon=114.365, lat=30.536),
    place("湖北省博物馆", "landmark", "420106012", lon=114.368, lat=30.561),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(ENTRIES)


def names(candidates: list[Candidate]) -> list[tuple[str, str]]:
    return [(c.name, c.kind) for c in candidates]


# --- normalisation and parse_admin --------------------------------------------------------------


def test_normalize_folds_width_and_strips_whitespace_and_end_punctuation():
    assert normalize("  和平大道　１２３号，。、 ") == "和平大道123号"
    assert normalize("３＃楼") == "3#楼"
    assert normalize("，。、") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("武昌区中南路街道", ParsedAddress(None, None, "武昌区", "中南路街道")),
        ("积玉桥街和平社区", ParsedAddress(None, None, None, "积玉桥街和平社区")),
        ("湖北省武汉市武昌区和平大道", ParsedAddress("湖北省", "武汉市", "武昌区", "和平大道")),
        ("武汉市武昌区积玉桥街", ParsedAddress(None, "武汉市", "武昌区", "积玉桥街")),
        ("湖北省，武汉市　武昌区 和平大道１２３号。", ParsedAddress("湖北省", "武汉市", "武昌区", "和平大道123号")),
        ("北京市朝阳区建国路", ParsedAddress("北京市", "北京市", "朝阳区", "建国路")),
        ("广西壮族自治区南宁市青秀区民族大道", ParsedAddress("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
        (
            "湖北省恩施土家族苗族自治州利川市东城街道",
            ParsedAddress("湖北省", "恩施土家族苗族自治州", "利川市", "东城街道"),
        ),
        ("恩施州利川市", ParsedAddress(None, "恩施州", "利川市", "")),
        ("内蒙古自治区锡林郭勒盟正蓝旗上都镇", ParsedAddress("内蒙古自治区", "锡林郭勒盟", "正蓝旗", "上都镇")),
        ("湖北武汉市洪山区珞喻路", ParsedAddress("湖北省", "武汉市", "洪山区", "珞喻路")),  # bare province + city
        ("武汉市东西湖区", ParsedAddress(None, "武汉市", "东西湖区", "")),
        ("湖北省博物馆", ParsedAddress("湖北省", None, None, "博物馆")),
    ],
)
def test_parse_admin_full_names(text, expected):
    assert parse_admin(text) == expected
    assert parse_admin(text, known=KNOWN) == expected


@pytest.mark.parametrize(
    "text",
    [
        "积玉桥街和平社区",  # 社区 is not a district
        "和平社区3栋",
        "滨江苑小区3栋",  # nor is 小区
        "沃尔玛超市门口",  # 超市 is not a city
        "农贸市场旁",
        "湖南路12号",  # a bare province name only counts before a city
        "红旗渠",  # a banner only after a city or province
        "中南路街道办事处",
    ],
)
def test_parse_admin_leaves_places_that_merely_end_like_units(text):
    parsed = parse_admin(text, known=KNOWN)
    assert (parsed.province, parsed.city, parsed.district) == (None, None, None)
    assert parsed.rest == text


def test_parse_admin_abbreviations_need_known():
    assert parse_admin("湖北武汉武昌和平大道", known=KNOWN) == ParsedAddress("湖北省", "武汉市", "武昌区", "和平大道")
    assert parse_admin("湖北武汉武昌和平大道") == ParsedAddress(None, None, None, "湖北武汉武昌和平大道")
    assert parse_admin("武昌积玉桥街道", known=KNOWN) == ParsedAddress(None, None, "武昌区", "积玉桥街道")


def test_parse_admin_prefers_the_full_name_over_its_known_short_form():
    # "武汉" is known, but "武汉市" must be taken whole, not as 武汉 + a stray "市".
    assert parse_admin("武汉市武昌区中南路", known=KNOWN) == ParsedAddress(None, "武汉市", "武昌区", "中南路")


@pytest.mark.parametrize("text", ["武汉大学", "武昌火车站", "武汉大道", "武昌路8号"])
def test_parse_admin_short_forms_do_not_eat_longer_place_names(text):
    assert parse_admin(text, known=KNOWN) == ParsedAddress(None, None, None, text)


@pytest.mark.parametrize("text", ["", "   ", "，。、", "!!!@@@", "12345", "🙂🙂", "\x00"])
def test_parse_admin_odd_input(text):
    parsed = parse_admin(text, known=KNOWN)
    assert (parsed.province, parsed.city, parsed.district) == (None, None, None)
    assert parsed.rest == normalize(text)


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_parse_admin_rest_is_a_tail_of_the_normalised_text(text):
    parsed = parse_admin(text, known=KNOWN)
    assert normalize(text).endswith(parsed.rest)


# --- geocoding -----------------------------------------------------------------------------------


def test_len(gazetteer):
    assert len(gazetteer) == len(ENTRIES)


def test_street_alias_after_district(gazetteer):
    result = gazetteer.geocode("武昌区中南路街道")
    # The alias 中南路街道 is the longest match: the street, not the road 中南路.
    assert names(result) == [("中南路街", "street")]
    assert result[0].matched == "中南路街道"
    assert result[0].confidence == 0.5
    assert result[0].unit_code == ZHONGNANLU


def test_community_in_its_street(gazetteer):
    result = gazetteer.geocode("积玉桥街和平社区")
    assert names(result) == [("和平社区", "community"), ("积玉桥街", "street")]
    assert result[0].confidence == pytest.approx(0.85)  # named with its street: a small bonus
    assert result[1].confidence == 0.5


def test_estate_beats_its_community(gazetteer):
    result = gazetteer.geocode("武昌区滨江社区滨江苑3栋2单元")
    assert names(result) == [("滨江苑", "estate"), ("滨江社区", "community")]
    assert result[0].confidence == pytest.approx(0.95)
    assert result[0].confidence > gazetteer.geocode("滨江苑3栋")[0].confidence == 0.9
    assert (result[0].lon, result[0].lat) == (114.3065, 30.5695)


def test_estate_in_a_grid_of_the_community_gets_the_bonus_too(gazetteer):
    result = gazetteer.geocode("和平社区和平花园")
    assert names(result)[0] == ("和平花园", "estate")
    assert result[0].confidence == pytest.approx(0.95)


def test_estate_named_with_another_community_gets_no_bonus(gazetteer):
    result = gazetteer.geocode("和平社区滨江苑")
    assert result[0].name == "滨江苑"
    assert result[0].confidence == 0.9


def test_alias_counts_like_the_name(gazetteer):
    by_alias = gazetteer.geocode("滨江苑小区东门")
    assert names(by_alias) == [("滨江苑", "estate")]
    assert by_alias[0].matched == "滨江苑小区"
    assert by_alias[0].confidence == gazetteer.geocode("滨江苑东门")[0].confidence
    assert names(gazetteer.geocode("武昌区和平")) == [("和平社区", "community")]


def test_longest_name_wins_over_a_contained_alias(gazetteer):
    # "和平" is an alias of 和平社区, but 和平大道 and 和平花园 are longer names at the same place.
    assert names(gazetteer.geocode("和平大道")) == [("和平大道", "road")]
    assert names(gazetteer.geocode("和平花园")) == [("和平花园", "estate")]


def test_road_with_a_house_number_is_more_precise(gazetteer):
    plain = gazetteer.geocode("和平大道边上")
    numbered = gazetteer.geocode("和平大道123号")
    assert plain[0].confidence == 0.6
    assert numbered[0].confidence == 0.7
    assert gazetteer.geocode("和平大道１２３号")[0].confidence == 0.7  # full-width digits
    assert gazetteer.geocode("和平大道一百二十三号")[0].confidence == 0.7


def test_abbreviated_home_prefix_is_not_foreign(gazetteer):
    full = gazetteer.geocode("湖北省武汉市武昌区和平大道")
    short = gazetteer.geocode("湖北武汉武昌和平大道")
    assert names(short) == names(full) == [("和平大道", "road")]
    assert short[0].confidence == full[0].confidence == 0.6


def test_another_district_gets_low_confidence(gazetteer):
    home = gazetteer.geocode("武汉市武昌区中南路")
    away = gazetteer.geocode("武汉市洪山区中南路")
    assert names(away) == names(home) == [("中南路", "road")]
    assert away[0].confidence == pytest.approx(home[0].confidence * 0.2, abs=0.01)
    assert away[0].confidence <= 0.2


def test_another_city_or_province_gets_low_confidence(gazetteer):
    assert gazetteer.geocode("北京市朝阳区中南路")[0].confidence <= 0.2
    assert gazetteer.geocode("湖北省宜昌市滨江苑")[0].confidence <= 0.2


def test_another_district_without_a_match_is_empty(gazetteer):
    assert gazetteer.geocode("武汉市洪山区珞喻路1037号") == []


def test_known_short_names_of_other_districts():
    gazetteer = Gazetteer(ENTRIES, known={"洪山": "洪山区"})
    assert gazetteer.geocode("洪山中南路")[0].confidence <= 0.2
    assert gazetteer.geocode("中南路")[0].confidence == 0.6


def test_without_a_home_district_any_district_of_the_city_is_home():
    city_wide = Gazetteer(ENTRIES, home_district=None)
    assert city_wide.geocode("武汉市洪山区中南路")[0].confidence == 0.6
    assert city_wide.geocode("宜昌市中南路")[0].confidence <= 0.2


def test_place_names_that_start_like_admin_names(gazetteer):
    # 武汉 and 湖北省 are administrative, but here they begin the name of a landmark.
    assert names(gazetteer.geocode("武汉大学南门")) == [("武汉大学", "landmark")]
    museum = gazetteer.geocode("湖北省博物馆门口")
    assert names(museum) == [("湖北省博物馆", "landmark")]
    assert museum[0].confidence == 0.9


def test_landmark_and_several_places(gazetteer):
    result = gazetteer.geocode("积玉桥地铁站C出口，临江大道与和平大道交叉口")
    assert names(result) == [("积玉桥地铁站", "landmark"), ("临江大道", "road"), ("和平大道", "road")]
    assert [c.confidence for c in result] == [0.9, 0.6, 0.6]


def test_limit_and_distinct(gazetteer):
    text = "积玉桥街道积玉桥街和平社区滨江社区滨江苑和平大道中南路首义广场"
    result = gazetteer.geocode(text)
    assert len(result) == 5
    assert len(set(names(result))) == 5
    assert [c.confidence for c in result] == sorted((c.confidence for c in result), reverse=True)
    assert len(gazetteer.geocode(text, limit=2)) == 2
    assert gazetteer.geocode(text, limit=0) == []
    assert len(gazetteer.geocode(text, limit=100)) == 7  # 积玉桥街 is named twice (alias and name)


@pytest.mark.parametrize(
    "text", ["", "   ", "，。、", "!!!@@@", "12345", "我家门口的路灯坏了", "湖北省武汉市武昌区", "\x00\ud800"]
)
def test_no_match_is_empty(gazetteer, text):
    assert gazetteer.geocode(text) == []


ADDRESS_CHARACTERS = st.sampled_from("湖北省武汉市武昌区洪山和平大道积玉桥街社区滨江苑中南路123号１，。 ")


@given(st.text(alphabet=ADDRESS_CHARACTERS, max_size=30))
@settings(max_examples=300, deadline=None)
def test_geocode_never_raises_and_stays_in_bounds(text):
    result = Gazetteer(ENTRIES).geocode(text, limit=3)
    assert len(result) <= 3
    assert len({(c.name, c.kind) for c in result}) == len(result)
    assert all(0.0 <= c.confidence <= 1.0 and c.confidence == round(c.confidence, 2) for c in result)
    assert [c.confidence for c in result] == sorted((c.confidence for c in result), reverse=True)


# Whatever people type around an address: names, numbers, full-width forms, characters NFKC expands or folds (㍿,
# ﬁ, ⑫), combining marks, emoji, control characters, lone surrogates from a JSON escape, any other character.
ADDRESS_WORDS = ("湖北省", "武汉市", "武昌区", "武昌", "和平大道", "积玉桥街道", "和平社区", "滨江苑小区", "中南路",
                 "88号", "３栋", "㍿", "ﬁ", "⑫", "\u0301", "\u200d", "😀", "\x00", "\ud800", "\t", "，", "#")
messy_addresses = st.lists(st.sampled_from(ADDRESS_WORDS) | st.text(max_size=4), max_size=10).map("".join)


@given(messy_addresses)
@settings(max_examples=300, deadline=None)
def test_any_typed_address_is_parsed_and_geocoded_without_an_error(text):
    parsed = parse_admin(text, known=KNOWN)
    assert normalize(text).endswith(parsed.rest)
    result = Gazetteer(ENTRIES, known={"洪山": "洪山区"}).geocode(text, limit=3)
    assert len(result) <= 3
    assert all(0.0 <= c.confidence <= 1.0 for c in result)
    assert all(c.matched and c.matched in normalize(text) for c in result)


def test_bad_entries_are_refused_when_loading():
    with pytest.raises(ValueError, match="类型"):
        Gazetteer([place("某地", "building", None)])
    with pytest.raises(ValueError, match="为空"):
        Gazetteer([place("  ", "road", None)])
