"""The printable report as one self-contained HTML page (inline CSS, no script, no
external resource), in English or Chinese, its times in the server's time zone; and the
small page a person gets from a report link that expired or is not valid."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from netalarm.exports.report import Report
from netalarm.exports.words import LABELS
from netalarm.timeline.words import actor_words, describe, value_words

CSS = """
body{font:14px/1.45 system-ui,'Noto Sans CJK SC',sans-serif;margin:24px auto;max-width:960px;color:#111}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 6px;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%} th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;
vertical-align:top} th{background:#eee} .kv th{width:180px} .ok{color:#075e00;font-weight:600}
.broken{color:#b00000;font-weight:700} code{font-size:12px;word-break:break-all} .muted{color:#555}
@media print{body{margin:0} .noprint{display:none}}
"""


def _cell(value: Any) -> str:
    return escape("—" if value is None or value == "" else str(value))


def _local(value: str | None, zone: ZoneInfo) -> str | None:
    """A stored ISO time (UTC) as local time in `zone`, to the second, the zone named."""
    if not value:
        return None
    at = datetime.fromisoformat(value).astimezone(zone)
    return f"{at:%Y-%m-%d %H:%M:%S} ({zone.key})"


def _kv(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _case(report: Report, t: dict[str, str], lang: str, zone: ZoneInfo) -> str:
    i = report.incident
    at = {k: _local(i[f"{k}_at"], zone) or "—" for k in ("accepted", "dispatched", "resolved")}
    return _kv(
        [
            (t["case"], i["case_number"]),
            (t["status"], value_words(i["status"], lang)),
            (t["priority"], i["priority"]),
            (t["category"], value_words(i["category"], lang)),
            (t["centre"], f"{i['centre']} {i.get('centre_name') or ''}".strip()),
            (t["silent"], t["yes"] if i["silent"] else t["no"]),
            (t["created"], _local(i["created_at"], zone)),
            (t["accepted"], f"{at['accepted']} {i['accepted_by'] or ''}".strip()),
            (t["dispatched"], f"{at['dispatched']} {i['dispatch_note'] or ''}".strip()),
            (t["resolved"], f"{at['resolved']} {i['outcome'] or ''}".strip()),
            (t["closed"], _local(i["closed_at"], zone)),
            (t["disposition"], value_words(i["disposition"], lang)),
            (t["description"], i["description"]),
        ]
    )


def _position(report: Report, t: dict[str, str], zone: ZoneInfo) -> str:
    where = report.incident["location"]
    if where is None:
        return f"<p>{escape(t['no_position'])}</p>"
    text = f"{where['lat']:.6f}, {where['lon']:.6f} (±{where['accuracy_m'] or '?'} m, {where['source']})"
    trail = "".join(
        f"<tr><td>{_cell(_local(p['at'], zone))}</td><td>{p['lat']:.6f}, {p['lon']:.6f}</td>"
        f"<td>±{_cell(p['accuracy_m'])} m</td><td>{_cell(p['source'])}</td></tr>"
        for p in report.trail
    )
    table = f"<h3>{escape(t['trail'])}</h3><table>{trail}</table>" if trail else ""
    return f'<p id="coordinates">{escape(text)}</p>{table}'


def _timeline(report: Report, t: dict[str, str], lang: str, zone: ZoneInfo) -> str:
    rows = "".join(
        f'<tr data-type="{escape(e["type"])}"><td>{e["seq"]}</td><td>{_cell(_local(e["at"], zone))}</td>'
        f"<td>{escape(actor_words(e['actor'], lang))}</td><td>{escape(describe(e, lang))}</td>"
        f"<td><code>{escape(e['hash'][:16])}…</code></td></tr>"
        for e in report.timeline
    )
    head = f"<tr><th>#</th><th>{t['at']}</th><th>{t['actor']}</th><th>{t['what']}</th><th>hash</th></tr>"
    return f'<table id="timeline">{head}{rows}</table>'


def _messages(report: Report, t: dict[str, str], zone: ZoneInfo) -> str:
    if not report.messages:
        return f"<p>{escape(t['no_messages'])}</p>"
    rows = "".join(
        f"<tr><td>{_cell(_local(m['at'], zone))}</td>"
        f"<td>{escape(t.get(m['from'], m['from']))} {escape(m.get('seat') or '')}"
        f"</td><td>{_cell(m['text'])}{' +' + str(len(m['media_ids'])) if m['media_ids'] else ''}</td></tr>"
        for m in report.messages
    )
    head = f"<tr><th>{t['at']}</th><th>{t['from']}</th><th>{t['text']}</th></tr>"
    return f'<table id="messages">{head}{rows}</table>'


def _media(report: Report, t: dict[str, str]) -> str:
    if not report.media:
        return f"<p>{escape(t['no_media'])}</p>"
    rows = "".join(
        f"<tr><td>{_cell(m.get('filename') or m.get('id'))}</td><td>{_cell(m.get('kind'))}</td>"
        f"<td>{_cell(m.get('content_type'))}</td><td>{_cell(m.get('size'))}</td>"
        f"<td><code>{_cell(m.get('sha256'))}</code></td></tr>"
        for m in report.media
    )
    head = "<tr><th>file</th><th>kind</th><th>type</th><th>bytes</th><th>SHA-256</th></tr>"
    return f'<table id="media">{head}{rows}</table>'


def html(report: Report, lang: str, timezone: str) -> str:
    """The report page. `lang` is 'en' or 'zh'; times are told in `timezone` (the server's
    `NETALARM_TIMEZONE`)."""
    lang = lang if lang in LABELS else "en"
    t = LABELS[lang]
    zone = ZoneInfo(timezone)
    v = report.verified
    chain = (
        f'<p id="chain" class="ok">{escape(t["chain_ok"].format(n=v.entries))}</p>'
        if v.ok
        else f'<p id="chain" class="broken">{escape(t["chain_broken"].format(seq=v.first_broken))}</p>'
    )
    case = report.incident["case_number"]
    made = t["made"].format(seat=report.made_by, at=_local(report.made_at, zone))
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(t['title'])} {escape(case)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(t['title'])} {escape(case)}</h1>"
        f'<p class="muted">{escape(made)}</p>{chain}'
        f"{_case(report, t, lang, zone)}<h2>{escape(t['position'])}</h2>{_position(report, t, zone)}"
        f"<h2>{escape(t['timeline'])}</h2>{_timeline(report, t, lang, zone)}"
        f"<h2>{escape(t['messages'])}</h2>{_messages(report, t, zone)}"
        f"<h2>{escape(t['media'])}</h2>{_media(report, t)}</main></body></html>"
    )


def link_refused(lang: str, expired: bool) -> str:
    """The page for a person who opens a report link that expired (or is not valid)."""
    t = LABELS[lang if lang in LABELS else "en"]
    said = t["link_expired"] if expired else t["link_invalid"]
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(t['link_title'])}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(said)}</h1><p>{escape(t['link_again'])}</p></main></body></html>"
    )
