// The VS Code client: starts `offer lsp` (setting offerlang.server.command) and shows the
// offer card of the current file beside it ("Offer: Explain"), refreshed on save.
"use strict";

const { execFile } = require("node:child_process");
const path = require("node:path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");
const settings = require("./lib/settings");

let client;
let panel;
let panelFile;

function config() {
  return vscode.workspace.getConfiguration("offerlang");
}

async function startServer() {
  const { command, args } = settings.serverCommand(config().get("server.command"));
  client = new LanguageClient(
    "offerlang",
    "offerlang",
    { command, args },
    {
      documentSelector: [{ language: "offer" }],
      initializationOptions: settings.initializationOptions(config()),
    },
  );
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `offerlang: could not start \`${[command, ...args].join(" ")}\` (${err.message}). ` +
        "Install it with pip install 'offerlang[lsp]', or set offerlang.server.command.",
    );
  }
}

async function stopServer() {
  if (client) {
    const stopping = client;
    client = undefined;
    await stopping.stop().catch(() => undefined);
  }
}

function run(command, args, cwd) {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    );
  });
}

async function renderCard(file) {
  const cwd = path.dirname(file);
  const value = config().get("server.command");
  const html = settings.explainArgs(value, file, "html");
  const got = await run(html.command, html.args, cwd);
  const title = `Offer: ${path.basename(file)}`;
  switch (settings.explainOutcome(got.error, got.stdout, got.stderr)) {
    case "card":
      return got.stdout;
    case "no-html": {
      // An offerlang without the HTML card: the text explanation still says it all.
      const text = settings.explainArgs(value, file, "text");
      const plain = await run(text.command, text.args, cwd);
      return settings.fallbackPage(
        title,
        "This offerlang has no HTML offer card (offer explain --format html); showing the text explanation.",
        plain.error ? plain.stderr : plain.stdout,
      );
    }
    case "invalid":
      return settings.fallbackPage(title, "The offer does not compile yet:", got.stderr);
    case "missing":
      return settings.fallbackPage(title, `Cannot run ${html.command}: set offerlang.server.command.`, "");
    default:
      return settings.fallbackPage(title, "offer explain failed:", got.stderr || String(got.error));
  }
}

async function showExplain() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "offer") {
    vscode.window.showInformationMessage("Offer: Explain works on an .offer file.");
    return;
  }
  if (editor.document.isUntitled) {
    vscode.window.showInformationMessage("Save the offer first: the card is made from the file.");
    return;
  }
  panelFile = editor.document.uri.fsPath;
  if (!panel) {
    panel = vscode.window.createWebviewPanel("offerlang.explain", "Offer", vscode.ViewColumn.Beside, {
      enableScripts: false,
    });
    panel.onDidDispose(() => {
      panel = undefined;
      panelFile = undefined;
    });
  }
  panel.title = `Offer: ${path.basename(panelFile)}`;
  panel.webview.html = await renderCard(panelFile);
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("offerlang.explain", showExplain),
    vscode.commands.registerCommand("offerlang.restartServer", async () => {
      await stopServer();
      await startServer();
    }),
    vscode.workspace.onDidSaveTextDocument(async (doc) => {
      if (panel && doc.languageId === "offer" && doc.uri.fsPath === panelFile) {
        panel.webview.html = await renderCard(panelFile);
      }
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (["server.command", "docsUrl", "target"].some((key) => event.affectsConfiguration(`offerlang.${key}`))) {
        await stopServer();
        await startServer();
      }
    }),
  );
  await startServer();
}

async function deactivate() {
  await stopServer();
}

module.exports = { activate, deactivate };
