"""Full-text search over everything stored about a meeting (SQLite FTS5).

One row of ``search_docs`` per searchable thing: a meeting's title, its raw notes, the text of
its latest enhanced notes, and each transcript segment. The text sits in the column named after
its kind, so ``bm25()`` column weights rank a title hit above a transcript hit. ``search_index``
is an external-content FTS5 table over ``search_docs``; triggers on the source tables keep both
in sync, so no writer has to remember to.

User input never reaches FTS5 as syntax: ``build_match`` turns it into quoted terms.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from notes_app.store.db import Database
from notes_app.store.db import rows as _rows
from notes_app.store.folders import folder_clause

KINDS = ("title", "notes", "enhanced", "transcript")

# bm25 weights per column (title, notes, enhanced, transcript): a word in the title says more
# about a meeting than the same word said once in an hour of talk.
WEIGHTS = (10.0, 4.0, 2.0, 1.0)

# REPLACE conflict handling would skip the delete triggers (they fire on REPLACE only with
# recursive_triggers on), leaving stale index entries: the triggers delete, then insert.

# Highlight markers put around matched words in snippets. Private-use characters never occur in
# notes or speech, so callers can turn them into brackets, ANSI bold or HTML without ambiguity.
HL_OPEN = "\ue000"
HL_CLOSE = "\ue001"

_FLAT_ENHANCED = (
    "(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each({blocks}))"
)


def install_search_schema(db: Database) -> None:
    """Create the index, its triggers, and fill it from what is already stored.

    Run by migration m002_search. Never change what this creates: add a new migration instead.
    """
    db.execute(
        """
        CREATE TABLE search_docs (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL,
            kind TEXT NOT NULL,
            segment INTEGER,
            start REAL,
            speaker TEXT,
            title TEXT, notes TEXT, enhanced TEXT, transcript TEXT
        )
        """
    )
    db.execute("CREATE UNIQUE INDEX search_docs_key ON search_docs(meeting_id, kind, segment)")
    db.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5(title, notes, enhanced, transcript,"
        " content='search_docs', content_rowid='id',"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    cols = "title, notes, enhanced, transcript"
    new_vals = "new.title, new.notes, new.enhanced, new.transcript"
    old_vals = "old.title, old.notes, old.enhanced, old.transcript"
    for sql in (
        # search_docs -> search_index (the standard external-content triggers)
        f"""CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
            INSERT INTO search_index(rowid, {cols}) VALUES (new.id, {new_vals}); END""",
        f"""CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
            INSERT INTO search_index(search_index, rowid, {cols})
            VALUES ('delete', old.id, {old_vals}); END""",
        f"""CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
            INSERT INTO search_index(search_index, rowid, {cols})
            VALUES ('delete', old.id, {old_vals});
            INSERT INTO search_index(rowid, {cols}) VALUES (new.id, {new_vals}); END""",
        # meetings -> title docs
        """CREATE TRIGGER search_meetings_ai AFTER INSERT ON meetings BEGIN
            INSERT INTO search_docs(meeting_id, kind, title) VALUES (new.id, 'title', new.title);
            END""",
        """CREATE TRIGGER search_meetings_au AFTER UPDATE OF title ON meetings BEGIN
            UPDATE search_docs SET title = new.title WHERE meeting_id = new.id AND kind = 'title';
            END""",
        """CREATE TRIGGER search_meetings_ad AFTER DELETE ON meetings BEGIN
            DELETE FROM search_docs WHERE meeting_id = old.id; END""",
        # raw_notes -> notes docs
        """CREATE TRIGGER search_notes_ai AFTER INSERT ON raw_notes BEGIN
            DELETE FROM search_docs WHERE meeting_id = new.meeting_id AND kind = 'notes';
            INSERT INTO search_docs(meeting_id, kind, notes)
            VALUES (new.meeting_id, 'notes', new.text); END""",
        """CREATE TRIGGER search_notes_au AFTER UPDATE ON raw_notes BEGIN
            UPDATE search_docs SET notes = new.text
            WHERE meeting_id = new.meeting_id AND kind = 'notes'; END""",
        """CREATE TRIGGER search_notes_ad AFTER DELETE ON raw_notes BEGIN
            DELETE FROM search_docs WHERE meeting_id = old.meeting_id AND kind = 'notes'; END""",
        # segments -> transcript docs
        """CREATE TRIGGER search_segments_ai AFTER INSERT ON segments BEGIN
            INSERT INTO search_docs(meeting_id, kind, segment, start, speaker,
                transcript)
            VALUES (new.meeting_id, 'transcript', new.idx, new.start, new.speaker, new.text);
            END""",
        """CREATE TRIGGER search_segments_au AFTER UPDATE ON segments BEGIN
            DELETE FROM search_docs
            WHERE meeting_id = old.meeting_id AND kind = 'transcript' AND segment = old.idx;
            INSERT INTO search_docs(meeting_id, kind, segment, start, speaker,
                transcript)
            VALUES (new.meeting_id, 'transcript', new.idx, new.start, new.speaker, new.text);
            END""",
        """CREATE TRIGGER search_segments_ad AFTER DELETE ON segments BEGIN
            DELETE FROM search_docs
            WHERE meeting_id = old.meeting_id AND kind = 'transcript' AND segment = old.idx;
            END""",
        # enhanced_notes -> one doc per meeting holding the latest version's text
        f"""CREATE TRIGGER search_enhanced_ai AFTER INSERT ON enhanced_notes
            WHEN new.version >= (SELECT max(version) FROM enhanced_notes
                                 WHERE meeting_id = new.meeting_id) BEGIN
            DELETE FROM search_docs WHERE meeting_id = new.meeting_id AND kind = 'enhanced';
            INSERT INTO search_docs(meeting_id, kind, enhanced)
            VALUES (new.meeting_id, 'enhanced', {_FLAT_ENHANCED.format(blocks="new.blocks")});
            END""",
        f"""CREATE TRIGGER search_enhanced_ad AFTER DELETE ON enhanced_notes BEGIN
            DELETE FROM search_docs WHERE meeting_id = old.meeting_id AND kind = 'enhanced';
            INSERT INTO search_docs(meeting_id, kind, enhanced)
            SELECT e.meeting_id, 'enhanced', {_FLAT_ENHANCED.format(blocks="e.blocks")}
            FROM enhanced_notes e WHERE e.meeting_id = old.meeting_id
            ORDER BY e.version DESC LIMIT 1; END""",
    ):
        db.execute(sql)
    _backfill(db)


def _backfill(db: Database) -> None:
    """Index what a database from before search already holds."""
    db.execute(
        "INSERT INTO search_docs(meeting_id, kind, title) SELECT id, 'title', title FROM meetings"
    )
    db.execute(
        "INSERT INTO search_docs(meeting_id, kind, notes)"
        " SELECT meeting_id, 'notes', text FROM raw_notes"
    )
    db.execute(
        "INSERT INTO search_docs(meeting_id, kind, segment, start, speaker, transcript)"
        " SELECT meeting_id, 'transcript', idx, start, speaker, text FROM segments"
    )
    db.execute(
        "INSERT INTO search_docs(meeting_id, kind, enhanced)"
        f" SELECT e.meeting_id, 'enhanced', {_FLAT_ENHANCED.format(blocks='e.blocks')}"
        " FROM enhanced_notes e WHERE e.version ="
        " (SELECT max(version) FROM enhanced_notes x WHERE x.meeting_id = e.meeting_id)"
    )


# --- turning user input into a MATCH expression ---------------------------------------------

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ParsedQuery:
    include: tuple[str, ...]  # each a phrase of one or more words
    exclude: tuple[str, ...]
    prefix_last: bool  # the last included term was typed without a closing space or quote

    @property
    def empty(self) -> bool:
        return not self.include


def parse_query(text: str) -> ParsedQuery:
    """Split what the user typed into phrases to find and phrases to leave out.

    ``"exact phrase"`` keeps words together, ``-word`` or ``-"a phrase"`` excludes. Everything
    else is words; operators (AND, OR, NEAR, ``*``, ``col:``) are just words or punctuation here.
    """
    include: list[str] = []
    exclude: list[str] = []
    last_plain = False
    for m in _TOKEN.finditer(text[:2000]):
        neg, phrase, bare = m.group(1), m.group(2), m.group(3)
        quoted = phrase is not None
        raw = phrase if quoted else bare
        if not quoted and raw.startswith("-") and len(raw) > 1:
            neg, raw = "-", raw[1:]
        words = _WORD.findall(raw)
        if not words:
            continue
        (exclude if neg else include).append(" ".join(words))
        last_plain = not neg and not quoted and len(words) == 1
    prefix = last_plain and bool(text) and not text[-1].isspace()
    return ParsedQuery(tuple(include), tuple(exclude), prefix)


def _quote(phrase: str) -> str:
    # _WORD leaves no double quotes, but double them anyway: this is the one safety rule.
    return '"' + phrase.replace('"', '""') + '"'


def build_match(query: ParsedQuery, *, any_term: bool = False, prefix: bool = True) -> str | None:
    """The FTS5 MATCH string for a parsed query, or None when nothing is left to search for.

    All terms must match (the search box) unless ``any_term`` (questions: rank by how many match).
    """
    if query.empty:
        return None
    terms = [_quote(p) for p in query.include]
    if prefix and query.prefix_last and len(query.include[-1]) >= 3:
        terms[-1] += "*"
    expr = (" OR " if any_term else " AND ").join(terms)
    if query.exclude:
        expr = f"({expr}) NOT ({' OR '.join(_quote(p) for p in query.exclude)})"
    return expr


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    meeting_id: int
    title: str
    kind: str  # one of KINDS
    segment: int | None  # transcript hits: the segment's index
    start: float | None  # transcript hits: seconds into the meeting
    snippet: str  # matched words wrapped in HL_OPEN / HL_CLOSE
    score: float  # higher is better
    started_at: str | None = None
    speaker: str | None = None

    def marked(self, open_mark: str = "[", close_mark: str = "]") -> str:
        """The snippet with the highlight markers replaced, e.g. by ANSI codes or HTML tags."""
        return self.snippet.replace(HL_OPEN, open_mark).replace(HL_CLOSE, close_mark)

    def to_dict(self) -> dict[str, Any]:
        """The --json shape. Matched words in ``snippet`` are wrapped in square brackets."""
        return {
            "meeting_id": self.meeting_id,
            "title": self.title,
            "kind": self.kind,
            "segment": self.segment,
            "start": None if self.start is None else round(self.start, 3),
            "snippet": self.marked(),
            "score": self.score,
        }


def search(
    db: Database,
    text: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    any_term: bool = False,
) -> list[SearchResult]:
    """Search everything stored. ``text`` is what the user typed; it is never FTS syntax."""
    match = build_match(parse_query(text), any_term=any_term)
    if match is None or limit <= 0:
        return []
    rows = search_rows(db, match, filters or Filters(), limit)
    return [
        SearchResult(
            meeting_id=r["meeting_id"],
            title=r["title"],
            kind=r["kind"],
            segment=r["segment"],
            start=r["start"],
            snippet=r["snippet"],
            score=round(-r["score"], 4),  # bm25 is lower-is-better; users expect the opposite
            started_at=r["started_at"],
            speaker=r["speaker"],
        )
        for r in rows
    ]


# --- running a search ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO date or datetime; meetings that started at or after it
    until: str | None = None  # meetings that started before it
    meeting_id: int | None = None
    speaker: str | None = None  # only transcript hits by this speaker (case-insensitive)
    kinds: tuple[str, ...] = KINDS
    folder: str | None = None  # meetings in this folder or one inside it ("/": in none)


def search_rows(db: Database, match: str, filters: Filters, limit: int) -> list[dict[str, Any]]:
    """Rows for the best ``limit`` hits: ranked by bm25, then newest meeting first.

    Scoring every match and joining each to its meeting is what makes a common query slow
    (13,000 matches for two words in 1,000 hours), so the work is cut down without changing
    the answer: a search within one or a few meetings scores only those meetings' index rows
    (a rowid span the FTS5 index seeks to); any other search takes the best-scored matches
    first, filters and orders those, and widens the net only when it cannot prove that nothing
    was missed.
    Filters never go inside the FTS query as a join: SQLite may then walk the meetings and
    probe the index once per row, which turns milliseconds into seconds.
    """
    if limit <= 0:
        return []
    meetings = _few_meetings(db, filters)
    if meetings is not None:
        rows = _meeting_rows(db, match, filters, limit, meetings)
    else:
        rows = _top_rows(db, match, filters, limit)
    snippets = _snippets(db, match, [r["id"] for r in rows])
    for r in rows:
        r["snippet"] = snippets.get(r["id"], "")
    return rows


_WEIGHTS_SQL = ", ".join(str(w) for w in WEIGHTS)
_COLUMNS = (
    "d.id, d.meeting_id, d.kind, d.segment, d.start, d.speaker, h.score, m.title, m.started_at"
)
_ORDER = "ORDER BY h.score, m.started_at DESC, d.segment"
# How many best-scored matches to look at first (times 8 with filters).
_FIRST_N = 100
# A date filter matching at most this many meetings is searched meeting by meeting: listing
# the rows of more meetings than this costs more than it saves.
_FEW_MEETINGS = 8


def _few_meetings(db: Database, f: Filters) -> list[int] | None:
    """The meetings a filter allows, when there are few enough to search only their rows."""
    if f.meeting_id is not None:
        return [int(f.meeting_id)]
    if not (f.since or f.until or f.folder is not None):
        return None
    clauses, params = ["1"], []
    if f.folder is not None:
        clause, folder_params = folder_clause("folder", f.folder)
        clauses.append(clause)
        params += folder_params
    if f.since:
        clauses.append("started_at >= ?")
        params.append(f.since)
    if f.until:
        clauses.append("started_at < ?")
        params.append(f.until)
    sql = f"SELECT id FROM meetings WHERE {' AND '.join(clauses)} LIMIT {_FEW_MEETINGS + 1}"
    ids = [r[0] for r in db.execute(sql, params)]
    return ids if len(ids) <= _FEW_MEETINGS else None


def _meeting_rows(
    db: Database, match: str, filters: Filters, limit: int, meetings: list[int]
) -> list[dict[str, Any]]:
    """Score only the matches that belong to ``meetings``.

    FTS5 seeks to the span of rowids those meetings' rows occupy (a meeting's rows are
    written together, so the span is usually tight); ``+rowid IN`` drops the rows of other
    meetings inside it before bm25 runs, without SQLite turning it into one index probe each.
    """
    docs = [
        r[0]
        for r in db.execute(
            "SELECT id FROM search_docs WHERE meeting_id IN (SELECT value FROM json_each(?))"
            " ORDER BY id",
            [json.dumps(meetings)],
        )
    ]
    if not docs:
        return []
    where, params = _filter_sql(filters)
    sql = f"""
        WITH hits AS MATERIALIZED (
            SELECT rowid AS id, bm25(search_index, {_WEIGHTS_SQL}) AS score
            FROM search_index WHERE search_index MATCH ? AND rowid BETWEEN ? AND ?
                AND +rowid IN (SELECT value FROM json_each(?))
        )
        SELECT {_COLUMNS}
        FROM hits h JOIN search_docs d ON d.id = h.id JOIN meetings m ON m.id = d.meeting_id
        WHERE {where} {_ORDER} LIMIT ?
    """
    span = [match, docs[0], docs[-1], json.dumps(docs)]
    return _rows(db, sql, [*span, *params, int(limit)])


def _top_rows(db: Database, match: str, filters: Filters, limit: int) -> list[dict[str, Any]]:
    """The best-scored ``n`` matches, filtered and ordered; ``n`` grows until the answer is exact.

    The answer from the top ``n`` is the true one when every match scoring as well as the last
    row kept was among them: fewer than ``n`` matched, or the last row kept scores strictly
    better than the worst of the ``n``. A tie at that edge is settled by taking every match
    scoring at least as well as it; too few rows left by the filters widen ``n``.
    """
    where, params = _filter_sql(filters)
    n = max(4 * limit, _FIRST_N) * (1 if where == "1" else 8)
    share = _date_share(db, filters)
    if share is not None:
        n = max(n, math.ceil(2 * limit / max(share, 1e-6)))
    total: int | None = None  # counted only when the first look is not enough
    # Past half of all matches, one pass over everything costs less than a top-n and a retry.
    while total is None or 2 * n < total:
        rows, worst, looked_at = _top_n(db, match, where, params, limit, n)
        if looked_at is not None and looked_at < n:
            return rows  # that was every match
        if len(rows) == limit:
            if rows[-1]["score"] < worst:
                return rows
            return _scored_at_most(db, match, where, params, limit, worst)
        if total is None:
            total = db.execute(
                "SELECT count(*) FROM search_index WHERE search_index MATCH ?", [match]
            ).fetchone()[0]
        # The share of matches the filters kept so far says how far to look next.
        n = n * 16 if not rows else math.ceil(2 * n * limit / len(rows))
    return _scored_at_most(db, match, where, params, limit, None)


def _date_share(db: Database, f: Filters) -> float | None:
    """The share of meetings inside the date filter, if there is one."""
    if not (f.since or f.until):
        return None
    inside = db.execute(
        "SELECT count(*) FROM meetings WHERE started_at >= ? AND started_at < ?",
        [f.since or "", f.until or "\uffff"],
    ).fetchone()[0]
    every = db.execute("SELECT count(*) FROM meetings").fetchone()[0]
    return inside / every if every else 0.0


def _top_n(
    db: Database,
    match: str,
    where: str,
    params: list[Any],
    limit: int,
    n: int,
) -> tuple[list[dict[str, Any]], float, int | None]:
    """The filtered, ordered rows among the ``n`` best-scored matches; the worst score among
    those ``n`` and how many there were (unknown when no row is left)."""
    sql = f"""
        WITH hits AS MATERIALIZED (
            SELECT rowid AS id, bm25(search_index, {_WEIGHTS_SQL}) AS score
            FROM search_index WHERE search_index MATCH ? ORDER BY score LIMIT ?
        )
        SELECT {_COLUMNS}, (SELECT max(score) FROM hits) AS worst,
            (SELECT count(*) FROM hits) AS looked_at
        FROM hits h JOIN search_docs d ON d.id = h.id JOIN meetings m ON m.id = d.meeting_id
        WHERE {where} {_ORDER} LIMIT ?
    """
    rows = _rows(db, sql, [match, int(n), *params, int(limit)])
    worst, looked_at = (rows[0]["worst"], rows[0]["looked_at"]) if rows else (float("inf"), None)
    for r in rows:
        del r["worst"], r["looked_at"]
    return rows, worst, looked_at


def _scored_at_most(
    db: Database,
    match: str,
    where: str,
    params: list[Any],
    limit: int,
    worst: float | None,
) -> list[dict[str, Any]]:
    """Score every match; join only those scoring ``worst`` or better (all when None)."""
    cutoff = "" if worst is None else "AND h.score <= ?"
    sql = f"""
        WITH hits AS MATERIALIZED (
            SELECT rowid AS id, bm25(search_index, {_WEIGHTS_SQL}) AS score
            FROM search_index WHERE search_index MATCH ?
        )
        SELECT {_COLUMNS}
        FROM hits h JOIN search_docs d ON d.id = h.id JOIN meetings m ON m.id = d.meeting_id
        WHERE {where} {cutoff} {_ORDER} LIMIT ?
    """
    cut_params = [] if worst is None else [worst]
    return _rows(db, sql, [match, *params, *cut_params, int(limit)])


def _filter_sql(f: Filters) -> tuple[str, list[Any]]:
    clauses, params = ["1"], []
    if f.since:
        clauses.append("m.started_at >= ?")
        params.append(f.since)
    if f.until:
        clauses.append("m.started_at < ?")
        params.append(f.until)
    if f.meeting_id is not None:
        clauses.append("d.meeting_id = ?")
        params.append(int(f.meeting_id))
    if f.folder is not None:
        clause, folder_params = folder_clause("m.folder", f.folder)
        clauses.append(clause)
        params += folder_params
    if f.speaker:
        clauses.append("d.kind = 'transcript' AND d.speaker = ? COLLATE NOCASE")
        params.append(f.speaker)
    if tuple(f.kinds) != KINDS:
        clauses.append(f"d.kind IN ({', '.join('?' for _ in f.kinds)})")
        params.extend(f.kinds)
    return " AND ".join(clauses), params


def _snippets(db: Database, match: str, ids: list[int]) -> dict[int, str]:
    """Snippets only for the hits shown: computing them for every match would dominate.

    One statement for all of them: each MATCH first merges the doclists of every word a
    prefix like ``the*`` stands for, so a statement per hit repeats that for each. The ids
    are checked as ``+rowid`` so that SQLite does not hand them to FTS5 one lookup at a time.
    """
    if not ids:
        return {}
    sql = (
        f"SELECT rowid, snippet(search_index, -1, '{HL_OPEN}', '{HL_CLOSE}', '…', 16)"
        " FROM search_index WHERE search_index MATCH ? AND rowid BETWEEN ? AND ?"
        " AND +rowid IN (SELECT value FROM json_each(?))"
    )
    rows = db.execute(sql, [match, min(ids), max(ids), json.dumps(ids)]).fetchall()
    return {doc_id: text for doc_id, text in rows}
