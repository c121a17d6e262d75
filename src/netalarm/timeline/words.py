"""Timeline entries in plain words, in English and Chinese: for the printable report and
the seat console's timeline panel."""

from __future__ import annotations

from typing import Any, Literal

Language = Literal["en", "zh"]

# Who acted, and two words the sentences share with the report's headings.
WHO: dict[str, dict[str, str]] = {
    "en": {
        "silent": "Silent alarm",
        "media": "Media files",
        "seat": "seat",
        "reporter": "reporter",
        "system": "system",
        "110": "the 110 seat",
        "identity_shared": ", with the reporter's identity",
    },
    "zh": {
        "silent": "静默报警",
        "media": "媒体文件",
        "seat": "坐席",
        "reporter": "报警人",
        "system": "系统",
        "110": "110坐席",
        "identity_shared": "，并提供报警人身份",
    },
}

# Code values (status, channel, category, disposition) in the reader's language; English keeps codes
# readable by replacing underscores.
VALUES_ZH: dict[str, str] = {
    "received": "待受理",
    "accepted": "已受理",
    "dispatched": "已派警",
    "resolved": "处置完毕",
    "closed": "已结案",
    "violence": "暴力",
    "robbery_theft": "抢劫/盗窃",
    "fraud": "诈骗",
    "traffic": "交通",
    "fire": "火灾",
    "medical": "急救",
    "missing_person": "人员走失",
    "domestic_violence": "家庭暴力",
    "disturbance": "扰乱秩序",
    "other": "其他",
    "handled": "已处置",
    "false_alarm": "误报",
    "prank": "恶意骚扰",
    "duplicate": "重复报警",
    "transferred": "已移交",
    "test": "测试",
    "web": "网页",
    "app": "应用",
    "sms": "短信",
    "api": "接口",
}


def value_words(code: str | None, lang: str) -> str | None:
    """A status, category or disposition code as a reader would say it."""
    if code is None:
        return None
    return VALUES_ZH.get(code, code) if lang == "zh" else code.replace("_", " ")


# One sentence per entry type; `{name}` is filled from the entry's data.
SENTENCES: dict[str, dict[str, str]] = {
    "en": {
        "alarm_received": "Alarm received through {channel}: category {category}, "
        "priority {priority}{silent}, routed to centre {centre}, case {case_number}.",
        "accepted": "Accepted by seat {seat} after {waited_s} s.",
        "taken_over": "Taken over by seat {seat} from seat {from}.",
        "classified": "Classification changed from {from} to {to}.",
        "dispatched": "Dispatched. Note: {note}",
        "resolved": "Resolved. Outcome: {outcome}",
        "closed": "Closed as {disposition}.",
        "transferred": "Transferred from centre {from} to centre {to} (was {previous_status}).",
        "received_by_transfer": "Now with centre {centre} by transfer, waiting to be accepted there.",
        "merged": "Merged into case {into_case_number} as a duplicate.",
        "merged_in": "Case {from_case_number} merged into this one.",
        "message": "Message from the {sender}: “{text}”{media}",
        "location": "Position update: {lat}, {lon} (±{accuracy_m} m, {source}).",
        "identity_viewed": "The reporter's identity was viewed.",
        "seat_note": "Note: {text}",
        "escalated": "Escalated from centre {from} to centre {to} ({reason}; was {previous_status}).",
        "sla_alert": "Not accepted within the SLA: alert raised.",
        "sla_alert.alert": "Not accepted within {limit_s} s ({priority}): alert raised at centre {centre} "
        "after {waited} s.",
        "sla_alert.escalated": "Still not accepted after {waited} s: escalated to centre {centre}.",
        "sla_alert.parent_alerted": "Still not accepted after {waited} s while centre {centre}'s seats are "
        "at their desks: it stays there, and centre {to} is alerted to help take it.",
        "sla_alert.overdue": "Still not accepted after {waited} s, and centre {centre} has no centre above "
        "it: alerted again.",
        "media_attached": "File {filename} attached ({kind}, {content_type}, {size} bytes, "
        "SHA-256 {sha256}).",
        "media_downloaded": "File “{file}” opened ({variant}).",
        "media_refused": "File {filename} of case {source_case_number} was not taken: {reason}",
        "media_verified": "File “{file}” checked against its hash: {verdict}.",
        "location_hint": "Position found in a file: {lat}, {lon}.",
        "withdrawn": "The reporter cancelled the alarm: {reason}. The case stays open until a seat "
        "closes it.",
        "message_delivered": "A message was delivered to the {by}.",
        "message_read": "A message was read by the {by}.",
        "sms_received": "The SMS gateway received this text at {gateway_received_at}, {delay_s} s before "
        "it reached this server.",
        "sms_queued": "SMS to {to} ({to_source}) queued for sending: “{text}”",
        "sms_withheld": "No SMS to {to} that the case is {status}: the reporter asked for quiet "
        "(silent alarm).",
        "sms_withheld.delivery": "SMS to {to} not sent, the reporter asked for quiet first: “{text}”",
        "quiet_requested": "The reporter asked for quiet: no texts unless needed, their phone may be heard.",
        "quiet_lifted": "The reporter ended quiet: they may be texted again.",
        "sms_after_closing": "The reporter texted after the case was closed: “{text}”. No new alarm was "
        "raised; they were told the case is closed.",
        "sms_delivered": "SMS to {to} sent (attempt {attempts}).",
        "sms_failed": "SMS to {to} could not be sent after {attempts} attempt(s): {error}",
        "call": "The seat called back {to} ({to_source}): {outcome}. Note: {note}",
        "phone_verification_sent": "A code was sent by SMS to {to} to verify the reporter's phone "
        "(valid until {expires_at}).",
        "phone_verification_failed": "A wrong code was typed to verify the reporter's phone (attempt "
        "{attempt}, {attempts_left} left).",
        "phone_verified": "The reporter's phone {to} is verified.",
        "phone_verified.sms_code": "The reporter's phone {to} is verified: the code sent to it was typed "
        "back.",
        "phone_verified.carrier": "The reporter's phone {to} is verified by the carrier: the alarm came "
        "by SMS from that number.",
        "forwarded_110": "Forwarded to the 110 seat (was {previous_status}){identity}. Note: {note}",
        "received_from_network": "Forwarded by network seat {forwarded_by} of centre {source_centre} "
        "(their case {source_case_number}): case {case_number} here, priority {priority}{silent}, "
        "routed to centre {centre}. Note: {note}",
        "link_110": "110: {stage}.",
        "link_110.received_from_network": "The 110 seat has the case: 110 case {remote_case_number}.",
        "link_110.accepted": "110 case {remote_case_number} accepted by {by}.",
        "link_110.dispatched": "110 dispatched (case {remote_case_number}). Note: {note}",
        "link_110.resolved": "110 finished case {remote_case_number}. Outcome: {outcome}",
        "link_110.closed": "110 closed case {remote_case_number} as {disposition}.",
        "link_110.transferred": "110 moved case {remote_case_number} from centre {from} to centre {to}.",
        "link_110.escalated": "110 escalated case {remote_case_number} from centre {from} to centre {to}.",
        "link_110.merged": "110 merged case {remote_case_number} into case {into_case_number}.",
        "link_110.message_undelivered": "Seat {seat} wrote to the reporter after this case was closed "
        "(110 case {remote_case_number}); not delivered: “{text}”",
        "link_110.classified": "110 changed the classification of case {remote_case_number} from {from} "
        "to {to} (by {by}).",
        "merged_at_source": "Seat {seat} merged case {from_case_number} into case {source_case_number} "
        "on its server; its reporter wrote: “{text}”",
        "reporter_sms": "The reporter's phone texted the alarm number (case {case_number}): “{text}”",
        "reporter_sms_at_source": "The reporter's phone texted the alarm number on the network side "
        "(their case {sms_case_number}): “{text}”",
        "closed_at_source.resolved": "Seat {seat} finished case {source_case_number} on its server. "
        "Outcome: {outcome}",
        "closed_at_source.closed": "Seat {seat} closed case {source_case_number} on its server as "
        "{disposition}: messages no longer reach the reporter.",
        "classified_at_source": "Seat {seat} changed the classification of case {source_case_number} "
        "from {from} to {to} on its server; this case keeps its own.",
        "escalated_superior": "Escalated to the superior alarm server ({reason}; was {previous_status})"
        "{identity}.",
        "escalated_in": "Escalated here by server {source} (centre {source_centre}, their case "
        "{source_case_number}, {note}): case {case_number}, priority {priority}{silent}, "
        "routed to centre {centre}.",
        "superior_update": "Superior server: {stage}.",
        "superior_update.escalated_in": "The superior server has the case: its case {remote_case_number}.",
        "superior_update.accepted": "Superior case {remote_case_number} accepted by {by}.",
        "superior_update.dispatched": "Superior server dispatched (case {remote_case_number}). Note: {note}",
        "superior_update.resolved": "Superior server finished case {remote_case_number}. Outcome: {outcome}",
        "superior_update.closed": "Superior server closed case {remote_case_number} as {disposition}.",
        "superior_update.transferred": "Superior server moved case {remote_case_number} from centre {from} "
        "to centre {to}.",
        "superior_update.escalated": "Superior server escalated case {remote_case_number} from centre {from} "
        "to centre {to}.",
        "superior_update.message_undelivered": "Seat {seat} of the superior server wrote to the reporter "
        "after this case was closed (its case {remote_case_number}); not delivered: “{text}”",
        "superior_update.merged": "Superior server merged case {remote_case_number} into case "
        "{into_case_number}.",
        "superior_update.classified": "Superior server changed the classification of case "
        "{remote_case_number} from {from} to {to} (by {by}).",
        "sla_alert.escalated_superior": "Still not accepted after {waited} s: escalated to the superior "
        "alarm server.",
    },
    "zh": {
        "alarm_received": "通过{channel}收到报警：类别 {category}，优先级 {priority}{silent}，"
        "分派至中心 {centre}，警情编号 {case_number}。",
        "accepted": "坐席 {seat} 受理，等待 {waited_s} 秒。",
        "taken_over": "坐席 {seat} 接手了此警情（原由坐席 {from} 受理）。",
        "classified": "分类由 {from} 改为 {to}。",
        "dispatched": "已派警。备注：{note}",
        "resolved": "处置完毕。结果：{outcome}",
        "closed": "结案：{disposition}。",
        "transferred": "由中心 {from} 移交至中心 {to}（原状态 {previous_status}）。",
        "received_by_transfer": "已移交至中心 {centre}，等待该中心受理。",
        "merged": "作为重复警情并入 {into_case_number}。",
        "merged_in": "警情 {from_case_number} 并入本警情。",
        "message": "{sender}消息：“{text}”{media}",
        "location": "位置更新：{lat}, {lon}（±{accuracy_m} 米，{source}）。",
        "identity_viewed": "查看了报警人身份。",
        "seat_note": "记录：{text}",
        "escalated": "由中心 {from} 上报至中心 {to}（{reason}；原状态 {previous_status}）。",
        "sla_alert": "超过受理时限：已告警。",
        "sla_alert.alert": "{priority} 警情 {limit_s} 秒内未受理：已在中心 {centre} 告警"
        "（已等待 {waited} 秒）。",
        "sla_alert.escalated": "等待 {waited} 秒仍未受理：已上报至中心 {centre}。",
        "sla_alert.parent_alerted": "等待 {waited} 秒仍未受理，中心 {centre} 坐席在岗：警情留在本中心，"
        "已提醒上级中心 {to} 协助受理。",
        "sla_alert.overdue": "等待 {waited} 秒仍未受理，中心 {centre} 无上级中心：再次告警。",
        "media_attached": "附加文件 {filename}（{kind}，{content_type}，{size} 字节，SHA-256 {sha256}）。",
        "media_downloaded": "打开文件“{file}”（{variant}）。",
        "media_refused": "未接收案件 {source_case_number} 的文件 {filename}：{reason}",
        "media_verified": "按哈希校验文件“{file}”：{verdict}。",
        "location_hint": "文件中的位置：{lat}, {lon}。",
        "withdrawn": "报警人撤销报警：{reason}。警情仍待坐席结案。",
        "message_delivered": "消息已送达{by}。",
        "message_read": "{by}已读消息。",
        "sms_received": "短信网关于 {gateway_received_at} 收到此短信，{delay_s} 秒后到达本服务器。",
        "sms_queued": "短信待发送至 {to}（{to_source}）：“{text}”",
        "sms_withheld": "未向 {to} 发送“{status}”通知短信：报警人要求静默（静默报警）。",
        "sms_withheld.delivery": "报警人已要求静默，待发短信不再发送至 {to}：“{text}”",
        "quiet_requested": "报警人要求静默：除非必要不发短信，手机响动可能被人察觉。",
        "quiet_lifted": "报警人取消静默：可以再给其发短信。",
        "sms_after_closing": "报警人在结案后发来短信：“{text}”。未新建警情，已回复告知警情已结案。",
        "sms_delivered": "短信已发送至 {to}（第 {attempts} 次尝试）。",
        "sms_failed": "短信未能发送至 {to}，共尝试 {attempts} 次：{error}",
        "call": "坐席回拨 {to}（{to_source}）：{outcome}。备注：{note}",
        "phone_verification_sent": "已向 {to} 发送短信验证码以核实报警人手机号（有效期至 {expires_at}）。",
        "phone_verification_failed": "核实报警人手机号时输入的验证码错误（第 {attempt} 次，还剩 "
        "{attempts_left} 次）。",
        "phone_verified": "报警人手机号 {to} 已核实。",
        "phone_verified.sms_code": "报警人手机号 {to} 已核实：已回填发送至该号码的验证码。",
        "phone_verified.carrier": "报警人手机号 {to} 已由运营商核实：报警短信即由该号码发出。",
        "forwarded_110": "已转交110坐席（原状态 {previous_status}）{identity}。备注：{note}",
        "received_from_network": "网络报警坐席 {forwarded_by}（中心 {source_centre}，"
        "原警情 {source_case_number}）转来：本地警情 {case_number}，优先级 {priority}{silent}，"
        "分派至中心 {centre}。备注：{note}",
        "link_110": "110：{stage}。",
        "link_110.received_from_network": "110坐席已接收：110警情 {remote_case_number}。",
        "link_110.accepted": "110警情 {remote_case_number} 已由 {by} 受理。",
        "link_110.dispatched": "110已派警（警情 {remote_case_number}）。备注：{note}",
        "link_110.resolved": "110处置完毕（警情 {remote_case_number}）。结果：{outcome}",
        "link_110.closed": "110警情 {remote_case_number} 结案：{disposition}。",
        "link_110.transferred": "110警情 {remote_case_number} 由中心 {from} 移交至中心 {to}。",
        "link_110.escalated": "110警情 {remote_case_number} 由中心 {from} 上报至中心 {to}。",
        "link_110.merged": "110警情 {remote_case_number} 并入警情 {into_case_number}。",
        "link_110.message_undelivered": "坐席 {seat} 在本警情结案后发给报警人的消息（110警情 "
        "{remote_case_number}）未送达：“{text}”",
        "link_110.classified": "110警情 {remote_case_number} 的分类由 {from} 改为 {to}（{by}）。",
        "merged_at_source": "坐席 {seat} 在其服务器上将警情 {from_case_number} 并入警情 "
        "{source_case_number}；其报警内容：“{text}”",
        "reporter_sms": "报警人手机向报警号码发来短信（警情 {case_number}）：“{text}”",
        "reporter_sms_at_source": "报警人手机在网络侧向报警号码发来短信（其警情 {sms_case_number}）："
        "“{text}”",
        "closed_at_source.resolved": "坐席 {seat} 在其服务器上处置完毕警情 {source_case_number}。"
        "结果：{outcome}",
        "closed_at_source.closed": "坐席 {seat} 在其服务器上将警情 {source_case_number} 结案：{disposition}。"
        "消息已无法送达报警人。",
        "classified_at_source": "坐席 {seat} 在其服务器上将警情 {source_case_number} 的分类由 {from} 改为 "
        "{to}；本警情分类不变。",
        "escalated_superior": "上报至上级报警服务器（{reason}；原状态 {previous_status}）{identity}。",
        "escalated_in": "服务器 {source} 上报（中心 {source_centre}，原警情 {source_case_number}，{note}）："
        "本地警情 {case_number}，优先级 {priority}{silent}，分派至中心 {centre}。",
        "superior_update": "上级服务器：{stage}。",
        "superior_update.escalated_in": "上级服务器已接收：上级警情 {remote_case_number}。",
        "superior_update.accepted": "上级警情 {remote_case_number} 已由 {by} 受理。",
        "superior_update.dispatched": "上级服务器已派警（警情 {remote_case_number}）。备注：{note}",
        "superior_update.resolved": "上级服务器处置完毕（警情 {remote_case_number}）。结果：{outcome}",
        "superior_update.closed": "上级警情 {remote_case_number} 结案：{disposition}。",
        "superior_update.transferred": "上级警情 {remote_case_number} 由中心 {from} 移交至中心 {to}。",
        "superior_update.escalated": "上级警情 {remote_case_number} 由中心 {from} 上报至中心 {to}。",
        "superior_update.merged": "上级警情 {remote_case_number} 并入警情 {into_case_number}。",
        "superior_update.message_undelivered": "上级服务器坐席 {seat} 在本警情结案后发给报警人的消息"
        "（上级警情 {remote_case_number}）未送达：“{text}”",
        "superior_update.classified": "上级警情 {remote_case_number} 的分类由 {from} 改为 {to}（{by}）。",
        "sla_alert.escalated_superior": "等待 {waited} 秒仍未受理：已上报至上级报警服务器。",
    },
}


# Codes of the SMS and phone channels: where a number came from, how a call went.
CHANNEL_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "reporter": "the reporter's number",
        "seat": "a number the seat gave",
        "reached": "reached",
        "no_answer": "no answer",
        "busy": "line busy",
        "failed": "the call failed",
    },
    "zh": {
        "reporter": "报警人号码",
        "seat": "坐席输入的号码",
        "reached": "已接通",
        "no_answer": "无人接听",
        "busy": "占线",
        "failed": "呼叫失败",
    },
}

# Which of a file's forms a seat read: the original bytes or the derived preview.
VARIANT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "original": "original",
        "preview": "preview image",
        "link_110": "a copy for the 110 side",
        "link_superior": "a copy for the superior server",
    },
    "zh": {
        "original": "原件",
        "preview": "预览图",
        "link_110": "交110侧的副本",
        "link_superior": "交上级报警服务器的副本",
    },
}
VERDICT_WORDS: dict[str, dict[bool, str]] = {
    "en": {True: "it matches", False: "IT DOES NOT MATCH, the stored file is not the one received"},
    "zh": {True: "一致", False: "不一致，存储的文件不是收到的那一份"},
}
WITHDRAWAL_WORDS: dict[str, dict[str, str]] = {
    "en": {"mistake": "sent by mistake", "safe": "safe now, no longer needs help"},
    "zh": {"mistake": "误触发送", "safe": "已安全，不再需要帮助"},
}
REASON_WORDS: dict[str, dict[str, str]] = {
    "en": {"manual": "by a seat", "sla": "not accepted within the SLA"},
    "zh": {"manual": "坐席操作", "sla": "超时未受理"},
}
CHANNEL_TYPES = ("sms_queued", "sms_delivered", "sms_failed", "call")


def actor_words(actor: str, lang: str) -> str:
    """`seat:futian.net` → `seat futian.net`; a reporter's id is not repeated."""
    kind, _, name = actor.partition(":")
    label = WHO[lang].get(kind, kind)
    return label if kind == "reporter" or not name else f"{label} {name}"


def _flat(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) < 1000 else str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_flat(v)}" for k, v in value.items())
    if value is None or value == "":
        return "—"
    return str(value)


def describe(entry: dict[str, Any], lang: str) -> str:
    """One timeline entry (`timeline_service.public` shape) as a sentence."""
    data = entry["data"]
    labels = WHO[lang]
    fields: dict[str, str] = {k: _flat(v) for k, v in data.items()}
    fields["data"] = _flat(data)
    for coordinate in ("lat", "lon"):
        if isinstance(data.get(coordinate), float):
            fields[coordinate] = f"{data[coordinate]:.6f}"
    for code in ("channel", "category", "disposition", "previous_status", "status"):
        if isinstance(data.get(code), str):
            fields[code] = value_words(data[code], lang) or ""
    if entry["type"] in ("alarm_received", "received_from_network", "escalated_in"):
        fields["silent"] = f", {labels['silent']}" if data.get("silent") else ""
    if entry["type"] in ("forwarded_110", "escalated_superior"):
        fields["identity"] = labels["identity_shared"] if data.get("identity_shared") else ""
    if "by" in data:
        fields["by"] = labels.get(data["by"], data["by"])
    if entry["type"] == "message":
        message = data.get("message", {})
        fields["sender"] = labels.get(message.get("from", ""), message.get("from", ""))
        fields["text"] = message.get("text", "")
        media = message.get("media_ids") or []
        fields["media"] = f" (+{len(media)} {labels['media']})" if media else ""
    if entry["type"] in ("media_downloaded", "media_verified"):
        fields["file"] = str(data.get("filename") or data.get("media_id"))
    if entry["type"] == "media_downloaded":
        fields["variant"] = VARIANT_WORDS[lang].get(data.get("variant", ""), fields.get("variant", ""))
    if entry["type"] == "media_verified":
        fields["verdict"] = VERDICT_WORDS[lang][bool(data.get("ok"))]
    if entry["type"] in ("escalated", "escalated_superior"):
        fields["reason"] = REASON_WORDS[lang].get(data.get("reason", ""), fields.get("reason", ""))
    if entry["type"] == "withdrawn":
        fields["reason"] = WITHDRAWAL_WORDS[lang].get(data.get("reason", ""), fields.get("reason", ""))
    if entry["type"] in CHANNEL_TYPES:
        for code in ("to_source", "outcome"):
            if isinstance(data.get(code), str):
                fields[code] = CHANNEL_WORDS[lang].get(data[code], data[code])
    kind = entry["type"]
    if kind == "sla_alert" and isinstance(data.get("waited_s"), int | float):
        fields["waited"] = str(round(data["waited_s"]))
        kind = f"sla_alert.{data.get('stage')}"
    if kind == "sms_withheld" and "delivery_id" in data:
        kind = "sms_withheld.delivery"
    if kind == "phone_verified":
        kind = f"{kind}.{data.get('via')}"
    if kind == "closed_at_source":
        kind = f"{kind}.{data.get('stage')}"
    if kind in ("link_110", "superior_update"):
        fields["by"] = actor_words(str(data.get("by", "")), lang)
        kind = f"{kind}.{data.get('stage')}"
    template = SENTENCES[lang].get(kind) or SENTENCES[lang].get(entry["type"])
    if template is None:
        return f"{entry['type']}: {fields['data']}"
    try:
        return template.format(**fields)
    except KeyError:
        return f"{entry['type']}: {fields['data']}"
