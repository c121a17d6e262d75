// Why the server refused, or could not be reached, in the console's language. The server's
// error code chooses the words; a code this console does not know shows the server's own
// message, so nothing is ever hidden.
const KNOWN = new Set([
  "incident_closed", "already_escalated", "already_forwarded", "no_110_link", "no_parent_centre",
  "no_phone", "own_message", "too_many_attempts", "source_closed",
]);
const TEXT_FIELDS = new Set(["text", "note", "outcome"]);

export function reason(t, error) {
  if (!error.status) return t("err_network");
  if (error.code === "illegal_transition" && error.body && error.body.status) {
    return t("err_status", { status: t(`status_${error.body.status}`) });
  }
  if (KNOWN.has(error.code)) return t(`err_${error.code}`);
  if (error.code === "invalid" && TEXT_FIELDS.has(error.field)) return t("err_text");
  if (error.status === 404) return t("err_not_found");
  return error.message;
}

// An action's failure as a sentence: "refused: …", or, with no answer from the server,
// that the action may or may not have been taken.
export function refusal(t, error) {
  return error.status ? t("refused", { message: reason(t, error) }) : t("err_unsure");
}
