"""Weibo posts in the shapes the APIs return them."""

from __future__ import annotations

import json

from defectradar.ingest.pipeline import ingest_file
from defectradar.ingest.weibo import html_to_text, post_fields


def _post(mid, text, created="Wed Sep 21 10:00:00 +0800 2022", user=None, **extra):
    post = {"mid": mid, "id": int(mid), "text": text, "created_at": created,
            "user": user or {"id": 1234567890, "screen_name": "小米受害者"},
            "reposts_count": 1, "comments_count": 2, "attitudes_count": 3}
    post.update(extra)
    return post


def test_html_becomes_readable_text():
    html = ('小米11又断网了<br />第三次返厂 <a href="/n/小米客服">@小米客服</a> '
            '<a href="https://m.weibo.cn/search?containerid=1">#小米11WiFi门#</a>'
            '<span class="url-icon"><img alt="[泪]" src="x.png" /></span> &amp; 无语')
    assert html_to_text(html) == "小米11又断网了\n第三次返厂 @小米客服 #小米11WiFi门#[泪] & 无语"


def test_post_fields_prefer_long_text_and_read_abbreviated_counts():
    post = _post("4817000000000001", "short…", isLongText=True,
                 longText={"longTextContent": "the whole story"}, attitudes_count="1.2万",
                 source="小米11 Ultra", region_name="发布于 广东")
    fields = post_fields(post)
    assert fields["text"] == "the whole story"
    assert fields["likes"] == 12000
    assert fields["region"] == "广东"
    assert fields["extra:client"] == "小米11 Ultra"


def test_jsonl_ingest_with_retweets_and_tokens(store, tmp_path, query):
    original = _post("4817000000000002", "原博：小米11 WiFi 坏了", user={"id": 42, "screen_name": "原作者"})
    repost = _post("4817000000000003", "转发微博 //@原作者: 同款问题", retweeted_status=original,
                   user={"id": 43, "screen_name": "转发者"})
    path = tmp_path / "weibo.jsonl"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in (repost, original)) + "\n")
    result = ingest_file(store, path)
    assert result.source_type == "weibo"
    # Two posts in the file; the copy of the original inside the repost is not a third row.
    assert (result.rows_read, result.rows_inserted, result.rows_duplicate, result.originals_added) == (2, 2, 0, 0)
    rows = {r["source_id"]: r for r in query("SELECT * FROM reports")}
    assert set(rows) == {"4817000000000002", "4817000000000003"}
    assert str(rows["4817000000000002"]["created_at"]) == "2022-09-21 02:00:00"
    assert rows["4817000000000003"]["engagement"] == 6
    dumped = json.dumps(rows, default=str, ensure_ascii=False)
    assert "原作者" not in dumped and "转发者" not in dumped      # handle and mention tokenised
    assert rows["4817000000000003"]["repost_of"] == rows["4817000000000002"]["report_id"]
    # A repost is engagement, not a complaint: the analyses read the original only.
    complaints = query("SELECT source_id FROM reports_labelled")
    assert [r["source_id"] for r in complaints] == ["4817000000000002"]
    assert {r["source_id"] for r in query("SELECT source_id FROM posts_labelled")} == set(rows)


def test_a_repost_stores_its_original_once_and_links_to_it(store, tmp_path, query):
    """Issue 12 item 4: a repost of post 1001 stored 1001 a second time (same source_id)."""
    original = _post("1001", "小米11 WiFi 打不开了", user={"id": 5}, reposts_count=None,
                     comments_count=None, attitudes_count=None)
    reposts = [_post(str(2000 + i), "转发微博", retweeted_status=original, user={"id": 10 + i}) for i in range(3)]
    path = tmp_path / "reposts.jsonl"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in reposts) + "\n")
    result = ingest_file(store, path)
    assert (result.rows_read, result.rows_inserted, result.rows_duplicate, result.originals_added) == (3, 3, 0, 1)
    assert query("SELECT source_id, count(*) n FROM reports GROUP BY 1 HAVING n > 1") == []
    complaints = query("SELECT source_id, engagement FROM reports_labelled")
    assert complaints == [{"source_id": "1001", "engagement": 3}]    # its three reposts, seen in the store
    again = ingest_file(store, path, force=True)
    assert (again.rows_inserted, again.rows_duplicate, again.originals_added) == (0, 3, 0)


def test_api_page_shapes(store, tmp_path, query):
    statuses = tmp_path / "page.json"
    statuses.write_text(json.dumps({"statuses": [_post("4817000000000010", "a"), _post("4817000000000011", "b")]}))
    cards = tmp_path / "cards.json"
    cards.write_text(json.dumps({"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": _post("4817000000000012", "c")}]}}))
    assert ingest_file(store, statuses).rows_inserted == 2
    assert ingest_file(store, cards, source_type="weibo").rows_inserted == 1
    assert query("SELECT count(*) n FROM reports WHERE source = 'weibo'")[0]["n"] == 3


def test_bad_lines_are_quarantined(store, tmp_path, query):
    path = tmp_path / "weibo.jsonl"
    good = json.dumps(_post("4817000000000020", "ok"), ensure_ascii=False)
    broken = '{"mid": "4817000000000021", "text": "unterminated, "user": {"screen_name": "泄露的名字"}'
    bad_date = json.dumps(_post("4817000000000022", "x", created="昨天 10:00"), ensure_ascii=False)
    path.write_text("\n".join([good, broken, "[1, 2]", bad_date]) + "\n")
    result = ingest_file(store, path)
    assert (result.rows_read, result.rows_inserted, result.rows_quarantined) == (4, 1, 3)
    reasons = {r["row_number"]: r for r in query("SELECT * FROM quarantine")}
    assert "not valid JSON" in reasons[2]["reason"]
    assert "泄露的名字" not in reasons[2]["raw"]               # handles scrubbed even from broken JSON
    assert "not an object" in reasons[3]["reason"]
    assert "relative time" in reasons[4]["reason"]
