/* Label placement on the plan: every label placed, none overlapping another, none cut at the edge.

Each label wants to sit centred on its anchor. Where that box would overlap a label already
placed, or leave the visible area, it tries positions next to the anchor (above, below, left,
right, the diagonals), then shorter texts there (cut at a word with "…"), and only then
moves further out, drawn with a leader line back to the anchor; the id and a one-word cut
come last, at any distance. Labels are
placed in the order given (the caller puts the most important first). Pure geometry: boxes in
any unit, measured by the caller. */
"use strict";

/* Offsets to try, in label heights (dx in label widths' halves plus a gap, see below). */
const RINGS = [0, 1, 2, 3.2, 4.6];
/* Near the anchor a shorter text is better than a far one: each tier of rings tries every
   text before the next tier moves the label further out. */
const TIERS = [[0, 1], [2], [3.2], [4.6]];
const DIRECTIONS = [[0, -1], [0, 1], [1, 0], [-1, 0], [1, -1], [-1, -1], [1, 1], [-1, 1]];

function boxesOverlap(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

function inside(box, bounds) {
  return box[0] >= bounds[0] && box[1] >= bounds[1] && box[2] <= bounds[2] && box[3] <= bounds[3];
}

/* The texts to try: [preferred, fallback]. Preferred: the first text, then it cut at word
   boundaries with an ellipsis down to two words; fallback: the other texts given (the id),
   then the first word with an ellipsis. */
function shorterTexts(texts) {
  const [first, ...others] = texts.filter((t) => t);
  const words = (first || "").split(/\s+/);
  const cuts = [];
  for (let n = words.length - 1; n >= 1; n--) {
    cuts.push(words.slice(0, n).join(" ").replace(/[–\-,:(]+$/, "").trim() + "…");
  }
  const seen = new Set();
  const fresh = (list) => list.filter((t) => t && t !== "…" && !seen.has(t) && seen.add(t));
  const preferred = fresh([first, ...cuts.slice(0, -1)]);
  return [preferred, fresh([...others, ...cuts.slice(-1)])];
}

/* Candidate centres around an anchor for a box of size w x h, nearest first. */
function candidateCentres(anchor, w, h, gap) {
  const out = [];
  for (const ring of RINGS) {
    if (ring === 0) { out.push([anchor[0], anchor[1], 0]); continue; }
    for (const [dx, dy] of DIRECTIONS) {
      const x = anchor[0] + dx * (w / 2 + gap + (ring - 1) * h);
      const y = anchor[1] + dy * (h / 2 + gap + (ring - 1) * h);
      out.push([x, y, ring]);
    }
  }
  return out;
}

/* Boxes already taken, bucketed on a grid so that a test looks only at its neighbours. */
class TakenBoxes {
  constructor(cell) { this.cell = cell; this.cells = new Map(); }
  keys(box) {
    const c = this.cell, out = [];
    for (let i = Math.floor(box[0] / c); i <= Math.floor(box[2] / c); i++) {
      for (let j = Math.floor(box[1] / c); j <= Math.floor(box[3] / c); j++) out.push(i + "," + j);
    }
    return out;
  }
  add(box) {
    for (const key of this.keys(box)) {
      if (!this.cells.has(key)) this.cells.set(key, []);
      this.cells.get(key).push(box);
    }
  }
  hits(box) {
    return this.keys(box).some((key) => (this.cells.get(key) || []).some((other) => boxesOverlap(box, other)));
  }
}

/*
 * Place labels. items: [{texts: [preferred, other...], anchor: [x, y]}] in priority order;
 * measure(text) -> [width, height] in the bounds' unit; bounds: [x0, y0, x1, y1];
 * obstacles: boxes no label may cover. Returns, per item, {text, centre: [x, y], box, moved}
 * (moved: off its anchor, a leader line is needed), or null when nothing fits.
 */
function placeLabels(items, measure, bounds, obstacles, gap) {
  const placed = new TakenBoxes(Math.max(bounds[2] - bounds[0], bounds[3] - bounds[1]) / 24 || 1);
  for (const box of obstacles || []) placed.add(box);
  return items.map((item) => {
    const passes = shorterTexts(item.texts).map((list) => list.map((t) => [t, measure(t)]));
    for (const [texts, tier] of passes.flatMap((texts) => TIERS.map((tier) => [texts, tier]))) {
      for (const [text, [w, h]] of texts) {
        for (const [x, y, ring] of candidateCentres(item.anchor, w, h, gap)) {
          if (!tier.includes(ring)) continue;
          const box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
          if (!inside(box, bounds) || placed.hits(box)) continue;
          placed.add([box[0] - gap / 2, box[1] - gap / 2, box[2] + gap / 2, box[3] + gap / 2]);
          return { text, centre: [x, y], box, moved: ring >= 1 };
        }
      }
    }
    return null;
  });
}
