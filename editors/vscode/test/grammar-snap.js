#!/usr/bin/env node
// Snapshot test of the TextMate grammar over every example and every invalid fixture:
//   node test/grammar-snap.js            compare with the committed snapshots (exit 1 on a change)
//   node test/grammar-snap.js --update   rewrite them after a deliberate grammar change
// vscode-tmgrammar-snap keeps `<file>.snap` beside each input; the inputs live in examples/ and
// tests/fixtures/ (which must hold offers only), so they are staged with their snapshots in a
// temporary folder and the snapshots live here, in test/snap/, under the same relative paths.
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const here = path.resolve(__dirname, "..");
const repo = path.resolve(here, "..", "..");
const snaps = path.join(here, "test", "snap");
const sources = [path.join(repo, "examples"), path.join(repo, "tests", "fixtures", "invalid")];
const update = process.argv.includes("--update");

function offers(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return offers(p);
    return e.name.endsWith(".offer") ? [p] : [];
  });
}

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

// A file with a lone carriage return is left out: vscode-tmgrammar-snap splits its snapshot
// lines differently on reading than on writing, so it could never match (VS Code, like the
// compiler, does not take a lone CR for a line break either).
const loneCR = (p) => /\r(?!\n)/.test(fs.readFileSync(p, "utf8"));
const inputs = sources
  .flatMap(offers)
  .filter((p) => !loneCR(p))
  .map((p) => path.relative(repo, p))
  .sort();
const stage = fs.mkdtempSync(path.join(os.tmpdir(), "offer-grammar-"));
let failed = false;
try {
  for (const rel of inputs) {
    fs.mkdirSync(path.join(stage, path.dirname(rel)), { recursive: true });
    fs.copyFileSync(path.join(repo, rel), path.join(stage, rel));
    const snap = path.join(snaps, rel + ".snap");
    if (fs.existsSync(snap)) {
      fs.copyFileSync(snap, path.join(stage, rel + ".snap"));
    } else if (!update) {
      console.error(`no snapshot for ${rel}: run \`npm run test:grammar -- --update\` and review it`);
      failed = true;
    }
  }
  // A snapshot whose input is gone is stale.
  const wanted = new Set(inputs.map((rel) => rel + ".snap"));
  for (const snap of walk(snaps)) {
    const rel = path.relative(snaps, snap);
    if (!wanted.has(rel)) {
      if (update) fs.rmSync(snap);
      else {
        console.error(`stale snapshot ${rel}: its input no longer exists`);
        failed = true;
      }
    }
  }
  const bin = path.join(here, "node_modules", ".bin", "vscode-tmgrammar-snap");
  const args = ["-g", path.join(here, "syntaxes", "offer.tmLanguage.json"), "-s", "source.offer"];
  if (update) args.push("-u");
  args.push(path.join(stage, "**", "*.offer"));
  const run = spawnSync(bin, args, { cwd: here, stdio: "inherit" });
  if (run.status !== 0) failed = true;
  if (update) {
    for (const rel of inputs) {
      fs.mkdirSync(path.join(snaps, path.dirname(rel)), { recursive: true });
      fs.copyFileSync(path.join(stage, rel + ".snap"), path.join(snaps, rel + ".snap"));
    }
  }
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
