// The extension's settings logic, kept free of the `vscode` module so node's test runner can
// test it (VS Code itself cannot be downloaded here): how the server and the CLI are started,
// what the server is told at start-up, and how a failed `offer explain --format html` reads.
"use strict";

const DEFAULT_COMMAND = ["offer", "lsp"];

/** `offerlang.server.command` (an array, or one string split on blanks) -> {command, args}. */
function serverCommand(value) {
  let parts = value;
  if (typeof value === "string") parts = value.trim().split(/\s+/).filter(Boolean);
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => typeof p === "string" && p !== "")) {
    parts = DEFAULT_COMMAND;
  }
  return { command: parts[0], args: parts.slice(1) };
}

/**
 * The `offer` CLI behind the server command, for `offer explain`: the server command less its
 * trailing `lsp` (and `--stdio`), so `python -m offerlang.cli lsp` and a virtualenv's
 * `.venv/bin/offer lsp` both work; plain `offer` when the command is something else.
 */
function cliCommand(value) {
  const { command, args } = serverCommand(value);
  const rest = args.filter((a) => a !== "--stdio");
  if (rest.length > 0 && rest[rest.length - 1] === "lsp") {
    return { command, args: rest.slice(0, -1) };
  }
  return { command: "offer", args: [] };
}

/** The arguments that print a file's HTML offer card. */
function explainArgs(value, file, format = "html") {
  const cli = cliCommand(value);
  return { command: cli.command, args: [...cli.args, "explain", "--format", format, file] };
}

/** What the server is told at start-up (`initializationOptions`). */
function initializationOptions(config) {
  const get = (key, fallback) => {
    const v = config && typeof config.get === "function" ? config.get(key) : undefined;
    return v === undefined ? fallback : v;
  };
  const options = {};
  const docsUrl = get("docsUrl", "");
  if (typeof docsUrl === "string" && /^https?:\/\//.test(docsUrl)) options.docsUrl = docsUrl;
  // Only a target the server knows; anything else leaves it to the project config.
  const target = get("target", "");
  if (target === "v1" || target === "v2") options.target = target;
  return options;
}

/**
 * How `offer explain --format html` failed: "no-html" when this offerlang has no HTML card
 * (click refuses the format: usage error, exit 2), "invalid" when the offer does not compile
 * (exit 1: the diagnostics are on stderr), "missing" when the command cannot be run at all.
 */
function explainFailure(error, stderr) {
  if (error && error.code === "ENOENT") return "missing";
  const code = error && typeof error.code === "number" ? error.code : null;
  if (code === 2 && /--format/.test(stderr || "") && /html/.test(stderr || "")) return "no-html";
  if (code === 1) return "invalid";
  return "failed";
}

/**
 * What to show for a run of `offer explain --format html`: "card" when it printed a card (it
 * does for an offer that does not compile too, with the diagnostics in it, and exits 1), else
 * what explainFailure makes of the error.
 */
function explainOutcome(error, stdout, stderr) {
  if (/^\s*<!doctype html/i.test(stdout || "")) return "card";
  if (!error) return "failed"; // exit 0 without a card: not an offerlang we understand
  return explainFailure(error, stderr);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A plain page for the panel when there is no card to show: a note and the text as is. */
function fallbackPage(title, note, text) {
  return (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\">" +
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';\">" +
    `<title>${escapeHtml(title)}</title></head><body>` +
    `<p><em>${escapeHtml(note)}</em></p><pre>${escapeHtml(text)}</pre></body></html>`
  );
}

module.exports = {
  DEFAULT_COMMAND,
  serverCommand,
  cliCommand,
  explainArgs,
  initializationOptions,
  explainFailure,
  explainOutcome,
  escapeHtml,
  fallbackPage,
};
