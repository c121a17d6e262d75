// Server-sent events read with fetch rather than EventSource: the bearer token travels in a
// header (never in a URL a proxy logs), and every frame is handed over whatever its event
// name. A page uses it where its WebSocket cannot open (a proxy refusing the upgrade).
//
// The server sends a heartbeat every 15 s, so a stream silent for SILENCE_MS is dead, or held
// back by a buffering proxy: it is dropped, and the caller tries again. Resolves when the
// stream has ended, for whatever reason (refused, dropped, silent, or `controller` aborted):
// with the error code of the server's answer if it refused the stream (such as
// "unknown_cursor": it no longer knows the event `after` names), else with null.
const SILENCE_MS = 40000;

export async function readEvents(url, { token, controller, onData }) {
  let silence = null;
  const hush = () => {
    clearTimeout(silence);
    silence = setTimeout(() => controller.abort(), SILENCE_MS);
  };
  hush();
  try {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
      cache: "no-store",
      signal: controller.signal,
    });
    if (!response.ok) return await refusal(response);
    if (!response.body) return null;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      hush();
      buffer += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, "")).join("\n");
        if (data) onData(data);
      }
    }
  } catch {
    // Dropped, refused or stopped: the caller falls back and tries again.
    return null;
  } finally {
    clearTimeout(silence);
  }
}

async function refusal(response) {
  try {
    const body = await response.json();
    return (body && body.error && body.error.code) || String(response.status);
  } catch {
    return String(response.status);
  }
}
