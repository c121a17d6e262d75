"""The printable report as one self-contained HTML page (inline CSS, no script, no
external resource), in English or Chinese."""

from __future__ import annotations

from html import escape
from typing import Any

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


def _kv(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _case(report: Report, t: dict[str, str], lang: str) -> str:
    i = report.incident
    return _kv(
        [
            (t["case"], i["case_number"]),
            (t["status"], value_words(i["status"], lang)),
            (t["priority"], i["priority"]),
            (t["category"], value_words(i["category"], lang)),
            (t["centre"], f"{i['centre']} {i.get('centre_name') or ''}".strip()),
            (t["silent"], t["yes"] if i["silent"] else t["no"]),
            (t["created"], i["created_at"]),
            (t["accepted"], f"{i['accepted_at'] or '—'} {i['accepted_by'] or ''}".strip()),
            (t["dispatched"], f"{i['dispatched_at'] or '—'} {i['dispatch_note'] or ''}".strip()),
            (t["resolved"], f"{i['resolved_at'] or '—'} {i['outcome'] or ''}".strip()),
            (t["closed"], i["closed_at"]),
            (t["disposition"], value_words(i["disposition"], lang)),
            (t["description"], i["description"]),
        ]
    )


def _position(report: Report, t: dict[str, str]) -> str:
    where = report.incident["location"]
    if where is None:
        return f"<p>{escape(t['no_position'])}</p>"
    text = f"{where['lat']:.6f}, {where['lon']:.6f} (±{where['accuracy_m'] or '?'} m, {where['source']})"
    trail = "".join(
        f"<tr><td>{_cell(p['at'])}</td><td>{p['lat']:.6f}, {p['lon']:.6f}</td>"
        f"<td>±{_cell(p['accuracy_m'])} m</td><td>{_cell(p['source'])}</td></tr>"
        for p in report.trail
    )
    table = f"<h3>{escape(t['trail'])}</h3><table>{trail}</table>" if trail else ""
    return f'<p id="coordinates">{escape(text)}</p>{table}'


def _timeline(report: Report, t: dict[str, str], lang: str) -> str:
    rows = "".join(
        f'<tr data-type="{escape(e["type"])}"><td>{e["seq"]}</td><td>{_cell(e["at"])}</td>'
        f"<td>{escape(actor_words(e['actor'], lang))}</td><td>{escape(describe(e, lang))}</td>"
        f"<td><code>{escape(e['hash'][:16])}…</code></td></tr>"
        for e in report.timeline
    )
    head = f"<tr><th>#</th><th>{t['at']}</th><th>{t['actor']}</th><th>{t['what']}</th><th>hash</th></tr>"
    return f'<table id="timeline">{head}{rows}</table>'


def _messages(report: Report, t: dict[str, str]) -> str:
    if not report.messages:
        return f"<p>{escape(t['no_messages'])}</p>"
    rows = "".join(
        f"<tr><td>{_cell(m['at'])}</td>"
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


def html(report: Report, lang: str = "en") -> str:
    """The report page. `lang` is 'en' or 'zh'."""
    lang = lang if lang in LABELS else "en"
    t = LABELS[lang]
    v = report.verified
    chain = (
        f'<p id="chain" class="ok">{escape(t["chain_ok"].format(n=v.entries))}</p>'
        if v.ok
        else f'<p id="chain" class="broken">{escape(t["chain_broken"].format(seq=v.first_broken))}</p>'
    )
    case = report.incident["case_number"]
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{escape(t['title'])} {escape(case)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(t['title'])} {escape(case)}</h1>"
        f'<p class="muted">{escape(t["made"].format(seat=report.made_by, at=report.made_at))}</p>{chain}'
        f"{_case(report, t, lang)}<h2>{escape(t['position'])}</h2>{_position(report, t)}"
        f"<h2>{escape(t['timeline'])}</h2>{_timeline(report, t, lang)}"
        f"<h2>{escape(t['messages'])}</h2>{_messages(report, t)}"
        f"<h2>{escape(t['media'])}</h2>{_media(report, t)}</main></body></html>"
    )
