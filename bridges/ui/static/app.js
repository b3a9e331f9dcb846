"use strict";
// The status page: one EventSource brings the whole state (`snapshot`), then each change (`job`,
// `overview`); the DOM follows it. No framework, no build step.

const FINAL = new Set(["done", "failed", "cancelled"]);
const FILTERS = {
  all: () => true,
  running: (job) => !FINAL.has(job.state),
  done: (job) => job.state === "done",
  failed: (job) => job.state === "failed" || job.state === "cancelled",
};
const jobs = new Map(); // id -> JobView
let filter = "all";

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function encodePath(path) {
  return path.split("/").map(encodeURIComponent).join("/");
}

function baseName(path) {
  return path.split("/").pop();
}

function notice(text) {
  const box = document.getElementById("notice");
  box.textContent = text || "";
  box.hidden = !text;
}

async function act(job, action) {
  const answer = await fetch(`/api/jobs/${encodeURIComponent(job.id)}/${action}`, { method: "POST" });
  const body = await answer.json().catch(() => ({}));
  notice(answer.ok ? "" : [body.error || `HTTP ${answer.status}`, body.hint].filter(Boolean).join(" — "));
  if (answer.ok) show(body);
}

// --- one job --------------------------------------------------------------------------------
function facts(job) {
  const out = [];
  if (job.queue_position != null && !FINAL.has(job.state)) out.push(`queue ${job.queue_position}${job.queue_count != null ? ` of ${job.queue_count}` : ""}`);
  if (job.chunks_total) out.push(`chunks ${job.chunks_done ?? 0}/${job.chunks_total}`);
  if (job.credits != null) out.push(`${job.credits} credit${job.credits === 1 ? "" : "s"}`);
  if (job.remote_status && !FINAL.has(job.state)) out.push(`server: ${job.remote_status}`);
  out.push(new Date(job.created_at).toLocaleString());
  return out.map((text) => el("span", { textContent: text }));
}

function head(job) {
  const actions = el("span", { className: "actions" });
  if (!FINAL.has(job.state)) actions.append(el("button", { className: "cancel", textContent: "Cancel", onclick: () => act(job, "cancel") }));
  if (job.state === "failed" || job.state === "cancelled") actions.append(el("button", { className: "retry", textContent: "Retry", onclick: () => act(job, "retry") }));
  const progress = FINAL.has(job.state) ? null : el("progress", { max: 1, value: job.progress ?? 0 });
  if (progress && job.progress == null) progress.removeAttribute("value"); // unknown: indeterminate
  return el("div", { className: "summary" },
    el("div", { className: "head" },
      el("span", { className: "name", textContent: baseName(job.request.source) }),
      el("span", { className: "id", textContent: job.id }),
      el("span", { className: "state", textContent: job.state }),
      actions),
    el("div", { className: "facts" }, ...facts(job)),
    progress,
    job.message && !job.error ? el("div", { className: "message", textContent: job.message }) : null,
    job.error ? el("div", { className: "error", textContent: job.error }) : null);
}

function show(job, live = true) {
  jobs.set(job.id, job);
  let card = document.querySelector(`.job[data-id="${CSS.escape(job.id)}"]`);
  if (!card) {
    card = el("li", { className: "job" });
    card.dataset.id = job.id;
    document.getElementById("jobs").prepend(card);
  }
  card.dataset.state = job.state;
  card.querySelector(".summary")?.remove();
  card.prepend(head(job));
  if (job.state === "done" && !card.querySelector(".stems")) card.append(stemsPanel(job, live));
  applyFilter();
}

// --- stems: one <audio> per stem, kept in step with the first -----------------------------------
// Players and waveforms are made when the panel is first opened (open at once for a job seen
// finishing), so a long history does not load every stem of every job.
function stemsPanel(job, open) {
  const panel = el("details", { className: "stems" }, el("summary", { textContent: `stems (${job.stems.length})` }));
  panel.addEventListener("toggle", () => { if (panel.open && panel.children.length === 1) panel.append(...players(job)); });
  panel.open = open;
  return panel;
}

function players(job) {
  const files = `/files/${encodeURIComponent(job.id)}/`;
  const rows = job.stems.map((stem, index) => ({ stem, index, solo: false, mute: false,
    audio: el("audio", { src: files + encodePath(stem.file), preload: "metadata" }) }));
  const master = rows[0]?.audio;
  const play = el("button", { className: "play", textContent: "Play" });
  const position = el("input", { type: "range", min: 0, max: 1, step: "any", value: 0 });
  const time = el("span", { textContent: "0:00" });

  const all = () => rows.map((row) => row.audio);
  const seek = (seconds) => all().forEach((audio) => { audio.currentTime = seconds; });
  const mix = () => {
    const soloing = rows.some((row) => row.solo);
    rows.forEach((row) => { row.audio.muted = row.mute || (soloing && !row.solo); });
  };
  play.onclick = async () => {
    if (master.paused) {
      seek(master.currentTime);
      await Promise.all(all().map((audio) => audio.play())).catch((error) => notice(`cannot play: ${error.message}`));
    } else {
      all().forEach((audio) => audio.pause());
    }
  };
  if (master) {
    master.addEventListener("play", () => { play.textContent = "Pause"; });
    master.addEventListener("pause", () => { play.textContent = "Play"; });
    master.addEventListener("ended", () => all().forEach((audio) => audio.pause()));
    master.addEventListener("loadedmetadata", () => { position.max = master.duration || 1; });
    master.addEventListener("timeupdate", () => {
      position.value = master.currentTime;
      time.textContent = `${Math.floor(master.currentTime / 60)}:${String(Math.floor(master.currentTime % 60)).padStart(2, "0")}`;
      for (const audio of all()) { // elements drift apart a little: pull them back to the first
        if (audio !== master && !master.paused && Math.abs(audio.currentTime - master.currentTime) > 0.05) audio.currentTime = master.currentTime;
      }
    });
    position.oninput = () => seek(Number(position.value));
  }

  const toggle = (row, key, button) => () => { row[key] = !row[key]; button.classList.toggle("on", row[key]); mix(); };
  const list = rows.map((row) => {
    const solo = el("button", { className: "solo", textContent: "S", title: "solo" });
    const mute = el("button", { className: "mute", textContent: "M", title: "mute" });
    solo.onclick = toggle(row, "solo", solo);
    mute.onclick = toggle(row, "mute", mute);
    const picture = el("img", { src: `/waveform/${encodeURIComponent(job.id)}/${row.index}.svg`, alt: `waveform of ${row.stem.name}` });
    picture.onclick = (event) => { if (master?.duration) seek(master.duration * event.offsetX / picture.clientWidth); };
    const node = el("div", { className: "stem" }, el("span", { className: "stem-name", textContent: row.stem.name }), solo, mute, picture,
      el("a", { href: row.audio.src, textContent: baseName(row.stem.file), download: "" }), row.audio);
    node.dataset.stem = row.stem.name;
    return node;
  });
  const links = el("div", { className: "files" }, el("a", { href: files + "manifest.json", textContent: "manifest.json" }),
    ...job.other_files.map((file) => el("a", { href: files + encodePath(file.file), textContent: `${file.name} (${file.kind})` })));
  return [master ? el("div", { className: "transport" }, play, position, time) : null, ...list, links].filter(Boolean);
}

// --- filters and side panel -----------------------------------------------------------------
function applyFilter() {
  const keep = FILTERS[filter];
  let shown = 0;
  for (const card of document.querySelectorAll(".job")) {
    card.hidden = !keep(jobs.get(card.dataset.id));
    shown += card.hidden ? 0 : 1;
  }
  document.getElementById("empty").hidden = shown > 0;
}

function showOverview(overview) {
  const u = overview.usage;
  const plan = u.premium === null || u.premium === undefined ? "—" : (u.premium ? "premium" : "free");
  const rows = [["backend", u.backend + (u.base_url ? ` (${u.base_url})` : "")],
    ["plan", plan], ["credits left", u.credits_left ?? "—"],
    ["per job", u.max_credits_per_job ?? "no limit"], ["per day", u.max_credits_per_day ?? "no limit"],
    ["spent today", u.credits_today], ["left today", overview.left_today ?? "—"]];
  const budget = document.getElementById("budget");
  budget.replaceChildren(...rows.flatMap(([name, value]) => [el("dt", { textContent: name }), el("dd", { textContent: value })]));
  if (u.max_credits_per_day) {
    budget.append(el("dt", { textContent: "" }), el("dd", {}, el("meter", { min: 0, max: u.max_credits_per_day,
      value: u.credits_today, high: u.max_credits_per_day * 0.8 })));
  }
  const folders = overview.hot_folders.map((f) => el("li", { className: "folder" },
    el("div", { className: "path", textContent: f.path + (f.present ? "" : " (missing)") }),
    el("div", { className: "counts" }, ...[["preset", f.preset], ["processing", f.processing], ["done", f.done], ["failed", f.failed]]
      .map(([name, value]) => el("span", { className: name, textContent: `${name} ${value}` })))));
  document.getElementById("hotfolders").replaceChildren(...(folders.length ? folders : [el("li", { className: "quiet", textContent: "none: mvsep-bridge hotfolder add" })]));
  document.getElementById("listening").replaceChildren(...Object.entries(overview.listening).map(([name, where]) =>
    el("li", {}, el("b", { textContent: `${name}: ` }), el("span", { className: "where", textContent: where }))));
}

for (const button of document.querySelectorAll("#filters button")) {
  button.onclick = () => {
    filter = button.dataset.filter;
    document.querySelectorAll("#filters button").forEach((b) => b.classList.toggle("on", b === button));
    applyFilter();
  };
}

// --- the live stream --------------------------------------------------------------------------
const link = document.getElementById("link");
const events = new EventSource("/api/events");
events.onopen = () => { link.textContent = "live"; link.className = "badge live"; };
events.onerror = () => { // EventSource retries by itself, unless the daemon refused us (restarted: new sessions)
  const closed = events.readyState === EventSource.CLOSED;
  link.textContent = closed ? "signed out: run mvsep-bridge ui" : "reconnecting…";
  link.className = "badge down";
};
events.addEventListener("snapshot", (event) => {
  const state = JSON.parse(event.data);
  jobs.clear();
  document.getElementById("jobs").replaceChildren();
  [...state.jobs].reverse().forEach((job) => show(job, false)); // oldest first: each new card goes on top
  showOverview(state.overview);
  applyFilter();
});
events.addEventListener("job", (event) => show(JSON.parse(event.data)));
events.addEventListener("overview", (event) => showOverview(JSON.parse(event.data)));
