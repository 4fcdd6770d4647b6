"""Matching a file's columns to our fields, spotting columns of personal data, and the
shared value coercions (integers, yes/no, lists)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from defectradar.errors import InputError
from defectradar.ingest.fields import (
    REPORT_FIELDS,
    SALES_FIELDS,
    SERVICE_FIELDS,
    apply_mapping,
    blank_to_null,
    boolean_column,
    integer_column,
    list_column,
    parse_mapping,
    pii_kind,
    resolve_columns,
)

TABLES = {"report": REPORT_FIELDS, "service": SERVICE_FIELDS, "sales": SALES_FIELDS}


# -- --map ------------------------------------------------------------------------------------------

def test_parse_mapping_splits_on_the_first_equals_sign_and_trims():
    assert parse_mapping([" text = body ", "created_at=date=local"]) == {
        "text": "body", "created_at": "date=local"}
    assert parse_mapping(None) == {} and parse_mapping([]) == {}


@pytest.mark.parametrize("pair, hint", [("text", "field=column"), ("=body", "both"), ("text=", "both"),
                                        (" = ", "both")])
def test_parse_mapping_errors_say_how_to_write_it(pair, hint):
    with pytest.raises(InputError, match=hint) as caught:
        parse_mapping([pair])
    assert repr(pair) in str(caught.value)


# -- resolve_columns --------------------------------------------------------------------------------

def test_aliases_match_case_insensitively_in_english_and_chinese():
    resolved = resolve_columns(["Content", "发布时间", " USER_NAME ", "手机型号", "点赞数"], REPORT_FIELDS, {}, "a.csv")
    assert resolved == {"text": "Content", "created_at": "发布时间", "author": " USER_NAME ",
                        "product": "手机型号", "likes": "点赞数"}


def test_service_aliases():
    resolved = resolve_columns(["IMEI号", "送修日期", "处理方式", "故障描述", "服务网点"], SERVICE_FIELDS, {}, "s.csv")
    assert resolved == {"device_id": "IMEI号", "event_date": "送修日期", "action": "处理方式",
                        "fault": "故障描述", "center": "服务网点"}


def test_explicit_map_beats_alias_and_frees_the_aliased_column():
    resolved = resolve_columns(["content", "body"], REPORT_FIELDS, {"text": "body"}, "a.csv")
    assert resolved == {"text": "body"}


def test_a_mapped_column_is_not_also_taken_by_an_alias():
    # "date" is an alias of created_at; mapped to title it must not be read as the date too.
    resolved = resolve_columns(["text", "date"], REPORT_FIELDS, {"title": "date"}, "a.csv")
    assert resolved == {"text": "text", "title": "date"}


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_a_column_named_like_a_field_is_that_field(table):
    names = [f.name for f in table if not f.mapped_only]
    assert resolve_columns(list(reversed(names)), table, {}, "x.csv") == {n: n for n in names}


def test_a_mapped_only_field_is_taken_from_map_alone():
    # A "severity" column may hold high/low; only --map severity=COLUMN makes it ours.
    assert "severity" not in resolve_columns(["text", "severity"], REPORT_FIELDS, {}, "x.csv")
    assert resolve_columns(["text", "sev"], REPORT_FIELDS, {"severity": "sev"}, "x.csv")["severity"] == "sev"


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_no_alias_belongs_to_two_fields_or_names_another_field(table):
    owners: dict[str, str] = {}
    for f in table:
        for alias in (f.name, *f.aliases):
            assert owners.setdefault(alias.lower(), f.name) == f.name, alias


def test_missing_required_field_names_the_columns_and_suggests_map():
    with pytest.raises(InputError) as caught:
        resolve_columns(["正文X", "when"], REPORT_FIELDS, {}, "posts.csv")
    message = str(caught.value)
    assert "posts.csv" in message and "text" in message
    assert "正文X, when" in message and "--map text=COLUMN" in message


def test_all_missing_required_service_fields_are_listed():
    with pytest.raises(InputError, match="device_id, event_date, action") as caught:
        resolve_columns(["foo"], SERVICE_FIELDS, {}, "s.csv")
    assert "--map device_id=COLUMN" in str(caught.value)


def test_unknown_field_in_map_is_refused_with_the_field_list():
    with pytest.raises(InputError, match="'body_text' is not a field here") as caught:
        resolve_columns(["body"], REPORT_FIELDS, {"body_text": "body"}, "a.csv")
    assert "created_at" in str(caught.value) and "text" in str(caught.value)


def test_mapped_column_that_the_file_lacks_is_refused():
    with pytest.raises(InputError, match="a.csv has no column 'Body'") as caught:
        resolve_columns(["body", "date"], REPORT_FIELDS, {"text": "Body"}, "a.csv")
    assert "body, date" in str(caught.value)


def test_apply_mapping_renames_fields_and_prefixes_extras():
    table = pa.table({"_row": [1], "Content": ["x"], "email": ["a@b.com"]})
    renamed, extras = apply_mapping(table, {"text": "Content"})
    assert renamed.column_names == ["_row", "text", "extra:email"]
    assert extras == ["email"]


# -- personal-data column names ---------------------------------------------------------------------

@pytest.mark.parametrize("column, kind", [
    ("customer_phone", "phone"), ("手机号", "phone"), ("contact_tel", "phone"), ("Tel", "phone"),
    ("mobile", "phone"), ("联系电话", "phone"),
    ("email", "email"), ("E-mail", "email"), ("邮箱", "email"),
    ("id_card", "person_id"), ("身份证号", "person_id"), ("id_number", "person_id"),
    ("imei", "device"), ("IMEI号", "device"), ("serial_number", "device"), ("SN", "device"),
    ("device_sn", "device"), ("car_vin", "device"), ("device_id", "device"), ("设备号", "device"),
    ("address", "address"), ("收货地址", "address"), ("住址", "address"),
    ("customer_name", "name"), ("姓名", "name"), ("name", "name"), ("联系人", "name"),
    ("screen_name", "user"), ("nickname", "user"), ("username", "user"), ("user_name", "user"),
    ("author", "user"), ("用户名", "user"), ("昵称", "user"),
    ("dealer_name", "name"),   # a dealer may be a sole trader, named as a person
])
def test_pii_kind_of_typical_column_names(column, kind):
    assert pii_kind(column) == kind


@pytest.mark.parametrize("column", ["product_name", "text", "created_at", "region", "center", "store_name", "model_name", "phone_model", "phone_brand", "hotel",
                                    "snapshot", "province", "likes", "title", "型号", "故障描述"])
def test_pii_kind_leaves_ordinary_columns_alone(column):
    assert pii_kind(column) is None


# -- coercions ----------------------------------------------------------------------------------------

def test_blank_to_null_trims_and_nulls_blanks():
    assert blank_to_null(pa.array([" a ", "", "  ", None, "b"])).to_pylist() == ["a", None, None, None, "b"]


def test_integer_column_reads_whole_numbers_and_reports_the_rest():
    values, errors = integer_column(
        pa.array(["1,234", "12.0", "3.00", "+7", "1 000", "0", "-3", "abc", "12.5", "1e3",
                  "99999999999999999999", None, "  "]), "units")
    assert values.to_pylist() == [1234, 12, 3, 7, 1000, 0, None, None, None, None, None, None, None]
    assert errors == {
        6: "units -3 is below 0",
        7: "units 'abc' is not a whole number",
        8: "units '12.5' is not a whole number",
        9: "units '1e3' is not a whole number",
        10: "units '99999999999999999999' is not a whole number",
    }


def test_integer_column_without_minimum_keeps_negatives_and_honours_other_minima():
    values, errors = integer_column(pa.array(["-3", "-1,000"]), "delta", minimum=None)
    assert values.to_pylist() == [-3, -1000] and errors == {}
    values, errors = integer_column(pa.array(["0", "1"]), "days", minimum=1)
    assert values.to_pylist() == [None, 1] and errors == {0: "days 0 is below 1"}


def test_boolean_column_english_and_chinese():
    values, errors = boolean_column(
        pa.array(["Yes", "no", "TRUE", "f", "1", "0", "Y", "N", "是", "否", "有", "无", "已清除", "未清除",
                  " yes ", None, "", "maybe"]), "data_wiped")
    assert values.to_pylist() == [True, False, True, False, True, False, True, False, True, False, True,
                                  False, True, False, True, None, None, None]
    assert list(errors) == [17] and "'maybe'" in errors[17] and "yes/no" in errors[17]


@pytest.mark.parametrize("text, parts", [
    ("screen; battery", ["screen", "battery"]), ("屏幕、电池", ["屏幕", "电池"]),
    ("a,b|c/d", ["a", "b", "c", "d"]), ("屏幕，电池；主板", ["屏幕", "电池", "主板"]),
    ("a;;b", ["a", "b"]), (" one ", ["one"]), (" ; ", None), ("", None), (None, None),
])
def test_list_column_separators(text, parts):
    assert list_column(pa.array([text], pa.string())).to_pylist() == [parts]
