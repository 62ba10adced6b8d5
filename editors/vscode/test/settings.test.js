"use strict";

const assert = require("node:assert/strict");
const { test } = require("node:test");
const s = require("../lib/settings");

test("the server command: an array, a string split on blanks, or the default", () => {
  assert.deepEqual(s.serverCommand(["/v/bin/offer", "lsp"]), { command: "/v/bin/offer", args: ["lsp"] });
  assert.deepEqual(s.serverCommand("  python3 -m offerlang.cli   lsp "), {
    command: "python3",
    args: ["-m", "offerlang.cli", "lsp"],
  });
  for (const bad of [undefined, null, "", "   ", [], [""], [1, 2], {}]) {
    assert.deepEqual(s.serverCommand(bad), { command: "offer", args: ["lsp"] }, String(bad));
  }
});

test("explain runs the CLI behind the server command", () => {
  assert.deepEqual(s.explainArgs(["/v/bin/offer", "lsp", "--stdio"], "/o/a.offer"), {
    command: "/v/bin/offer",
    args: ["explain", "--format", "html", "/o/a.offer"],
  });
  assert.deepEqual(s.explainArgs("python3 -m offerlang.cli lsp", "a.offer", "text"), {
    command: "python3",
    args: ["-m", "offerlang.cli", "explain", "--format", "text", "a.offer"],
  });
  // A wrapper that is not `… lsp` (a container, a script): the plain `offer` on PATH.
  assert.deepEqual(s.explainArgs(["my-offer-server"], "a.offer"), {
    command: "offer",
    args: ["explain", "--format", "html", "a.offer"],
  });
});

test("initialization options carry an http(s) docs URL only", () => {
  const config = (values) => ({ get: (key) => values[key] });
  assert.deepEqual(s.initializationOptions(config({ docsUrl: "https://x.test/docs/language.md" })), {
    docsUrl: "https://x.test/docs/language.md",
  });
  assert.deepEqual(s.initializationOptions(config({ docsUrl: "javascript:alert(1)" })), {});
  assert.deepEqual(s.initializationOptions(config({})), {});
  assert.deepEqual(s.initializationOptions(undefined), {});
});

test("initialization options carry the target when it is v1 or v2", () => {
  const config = (values) => ({ get: (key) => values[key] });
  assert.deepEqual(s.initializationOptions(config({ target: "v2" })), { target: "v2" });
  assert.deepEqual(s.initializationOptions(config({ target: "v1", docsUrl: "https://x.test/l.md" })), {
    docsUrl: "https://x.test/l.md",
    target: "v1",
  });
  for (const unset of ["", "v3", "sessions-v2 ", 2, null]) {
    assert.deepEqual(s.initializationOptions(config({ target: unset })), {}, String(unset));
  }
});

test("a failed explain is read as no HTML card, an invalid offer, or a missing command", () => {
  const usage =
    "Usage: offer explain [OPTIONS] FILE...\nError: Invalid value for '--format': 'html' is not one of 'text', 'markdown', 'json'.\n";
  assert.equal(s.explainFailure({ code: 2 }, usage), "no-html");
  assert.equal(s.explainFailure({ code: 1 }, "a.offer:3:9: error[E202]: …"), "invalid");
  assert.equal(s.explainFailure({ code: "ENOENT" }, ""), "missing");
  assert.equal(s.explainFailure({ code: 70 }, "internal error"), "failed");
});

test("the fallback page escapes what it shows", () => {
  const page = s.fallbackPage("t", "note <b>", "<script>alert(1)</script> & \"x\"");
  assert.ok(page.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
  assert.ok(page.includes("note &lt;b&gt;"));
  assert.ok(page.includes("Content-Security-Policy"));
});

test("a printed card is shown whatever the exit code; otherwise the failure decides", () => {
  const card = "<!doctype html>\n<html lang=\"en\">…</html>";
  assert.equal(s.explainOutcome(null, card, ""), "card");
  assert.equal(s.explainOutcome({ code: 1 }, card, "a.offer:3:9: error[E202]"), "card"); // a broken offer's card
  assert.equal(s.explainOutcome({ code: 2 }, "", "Error: Invalid value for '--format': 'html' is not one of"), "no-html");
  assert.equal(s.explainOutcome({ code: 1 }, "", "a.offer:3:9: error[E202]"), "invalid");
  assert.equal(s.explainOutcome(null, "plain text", ""), "failed");
});
