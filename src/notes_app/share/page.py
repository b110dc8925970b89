"""The recipient's page for a share link: one self-contained HTML document.

Safe by construction: every piece of shared content goes through ``html.escape`` (the notes via
``render.blocks_to_html``), nothing is rendered as Markdown or raw HTML, there are no external
assets, and the only script and style carry the per-response CSP nonce. The page is rendered
once per share with ``NONCE_SLOT`` where the nonce goes; the server swaps in a fresh nonce per
response (``with_nonce``), so a cached page never reuses one.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

from notes_app.clock import human_date, parse_iso
from notes_app.domain import ME, THEM, Block
from notes_app.render import blocks_to_html, clock
from notes_app.share.model import Snapshot
from notes_app.textkit import speaker_names

NONCE_SLOT = "<%nonce%>"  # cannot occur in escaped content, where every "<" became "&lt;"
TOPIC_LABEL_MAX = 80

NOT_FOUND_BODY = "Not found\n"


def with_nonce(page: str, nonce: str) -> str:
    return page.replace(NONCE_SLOT, nonce)


def page_parts(page: str) -> tuple[bytes, ...]:
    """The page as UTF-8 pieces around the nonce slots: ``nonce.join(parts)`` is the page
    with that nonce, a copy of bytes rather than a search and an encoding per response."""
    return tuple(part.encode("utf-8") for part in page.split(NONCE_SLOT))


def render_page(
    share_id: str,
    snapshot: Snapshot,
    *,
    allow_questions: bool,
    expires_at: float | None,
) -> str:
    """The whole page, with ``NONCE_SLOT`` standing for the CSP nonce."""
    title = html.escape(snapshot.title)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="robots" content="noindex, nofollow">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{title}</title>",
        f'<style nonce="{NONCE_SLOT}">{PAGE_CSS}</style></head>',
        "<body><main>",
        f"<header><h1>{title}</h1>{_meta(snapshot)}</header>",
    ]
    sections = split_sections(snapshot.blocks)
    parts.append(_topics_nav(sections))
    parts.append(
        '<p class="legend"><span class="swatch user">Notes as written</span>'
        '<span class="swatch ai">Added from the conversation</span> '
        'A <span class="cite">mm:ss</span> chip cites the moment it came from'
        + (" (tap it to read the quote)." if snapshot.segments else ".")
        + "</p>"
    )
    parts.append(_notes(sections, snapshot))
    if snapshot.segments:
        parts.append(_transcript(snapshot))
    if allow_questions:
        parts.append(_ask_box(share_id))
    parts.append(f"<footer>{_expiry(expires_at)} Shared from notes-app.</footer>")
    parts.append(f'</main><script nonce="{NONCE_SLOT}">{PAGE_JS}</script></body></html>')
    return "\n".join(parts) + "\n"


def split_sections(blocks: tuple[Block, ...]) -> list[tuple[str | None, tuple[Block, ...]]]:
    """Group blocks into topics: at each heading, or (with no headings) at each line the user wrote.

    Returns ``(topic label or None, blocks)``; a None label is the preamble before the first topic.
    """
    has_headings = any(b.type == "heading" for b in blocks)
    starts_topic = (
        (lambda b: b.type == "heading") if has_headings else (lambda b: b.source == "user")
    )
    sections: list[tuple[str | None, list[Block]]] = []
    for b in blocks:
        if starts_topic(b) and b.text.strip():
            sections.append((_label(b.text), [b]))
        elif sections:
            sections[-1][1].append(b)
        else:
            sections.append((None, [b]))
    return [(label, tuple(bs)) for label, bs in sections]


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TOPIC_LABEL_MAX else text[: TOPIC_LABEL_MAX - 1] + "…"


def _meta(snapshot: Snapshot) -> str:
    items = []
    if snapshot.date:
        items.append(f"<span>{html.escape(_date(snapshot.date))}</span>")
    if snapshot.attendees:
        people = ", ".join(html.escape(a) for a in snapshot.attendees)
        items.append(f"<span>With {people}</span>")
    return f'<p class="meta">{" · ".join(items)}</p>' if items else ""


def _date(iso: str) -> str:
    when = parse_iso(iso)
    if when is None:
        return iso  # shown as sent (escaped by the caller)
    try:
        if when.tzinfo is not None:
            return human_date(when.astimezone(timezone.utc), time=True) + " UTC"
        return human_date(when, time=True)
    except (OverflowError, ValueError):  # year 1 at +14:00 has no UTC date
        return iso


def _topics_nav(sections: list[tuple[str | None, tuple[Block, ...]]]) -> str:
    items = [
        f'<li><a href="#topic-{i}">{html.escape(label)}</a></li>'
        for i, (label, _) in enumerate(sections)
        if label is not None
    ]
    if not items:
        return ""
    return (
        '<nav class="topics" aria-label="Topics discussed"><h2>Topics discussed</h2>'
        f"<ol>{''.join(items)}</ol></nav>"
    )


def _notes(sections: list[tuple[str | None, tuple[Block, ...]]], snapshot: Snapshot) -> str:
    by_index = snapshot.by_index()
    out = ['<article class="notes">']
    for i, (_, blocks) in enumerate(sections):
        out.append(f'<section id="topic-{i}">{blocks_to_html(blocks, by_index)}</section>')
    out.append("</article>")
    return "\n".join(out)


def recipient_label(speaker: str | None, attendees: tuple[str, ...]) -> str:
    """Who spoke, as the recipient reads it: the microphone is the person who took the notes
    (not "You": that is the reader here), the call's side is its one attendee by name when
    there was exactly one, else "Them"; a named speaker as named."""
    if speaker == ME:
        return "Note-taker"
    if speaker == THEM:
        return speaker_names(attendees).get(THEM, "Them")
    return speaker or ""


def _transcript(snapshot: Snapshot) -> str:
    rows = []
    for s in snapshot.segments:
        label = recipient_label(s.speaker, snapshot.attendees)
        who = f'<span class="who">{html.escape(label)}</span> ' if label else ""
        rows.append(
            f'<li id="seg-{int(s.index)}"><span class="t">{clock(s.start)}</span> '
            f"{who}{html.escape(s.text)}</li>"
        )
    return (
        '<details class="transcript"><summary>Transcript</summary>'
        f"<ol>{''.join(rows)}</ol></details>"
    )


def _ask_box(share_id: str) -> str:
    action = html.escape(f"/s/{share_id}/ask", quote=True)
    return (
        '<section class="ask" aria-labelledby="ask-title">'
        '<h2 id="ask-title">Ask about this meeting</h2>'
        f'<form id="ask-form" method="post" action="{action}">'
        '<input id="question" name="question" type="text" maxlength="500" required '
        'autocomplete="off" placeholder="e.g. Who owns the pricing page?" '
        'aria-label="Your question">'
        '<button id="ask-button" type="submit">Ask</button></form>'
        '<div id="answer" aria-live="polite"></div>'
        '<p class="hint">Answers come only from what was shared on this page.</p></section>'
    )


def _expiry(expires_at: float | None) -> str:
    if expires_at is None:
        return "This link does not expire."
    when = datetime.fromtimestamp(expires_at, timezone.utc)
    return f"This link expires on {human_date(when, time=True)} UTC."


PAGE_CSS = """
:root{--fg:#1b1d21;--muted:#5f6672;--ai:#5b6270;--bg:#fbfbfa;--card:#fff;--line:#e4e4e0;
--accent:#2457d6;--chip:#eaf0ff;--warn:#8a5a00;--warnbg:#fff4d6}
@media (prefers-color-scheme:dark){:root{--fg:#e9eaec;--muted:#a2a8b3;--ai:#a9b0bc;--bg:#141518;
--card:#1c1e22;--line:#2d3036;--accent:#8fb0ff;--chip:#243152;--warn:#f0c36a;--warnbg:#3a2f12}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;-webkit-text-size-adjust:100%}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 .25rem;overflow-wrap:anywhere}
h2,h3,h4,h5{line-height:1.3;margin:1.4rem 0 .4rem;overflow-wrap:anywhere}
.meta{color:var(--muted);margin:0 0 1rem}
.topics{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.6rem 1rem;
margin:1rem 0}
.topics h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);
margin:.2rem 0}
.topics ol{margin:.2rem 0;padding-left:1.3rem}.topics a{color:var(--accent);text-decoration:none}
.topics a:hover{text-decoration:underline}
.legend{font-size:.85rem;color:var(--muted)}.legend .swatch{margin-right:.5rem}
.swatch.user{font-weight:600;color:var(--fg)}.swatch.ai{color:var(--ai);font-style:italic}
.notes{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.2rem 1.1rem 1rem}
.notes section{scroll-margin-top:1rem}
.notes ul{padding-left:1.3rem;margin:.3rem 0}.notes li{margin:.25rem 0;overflow-wrap:anywhere}
.notes p{overflow-wrap:anywhere}
.user{color:var(--fg);white-space:pre-wrap}li.ordered{list-style:none}.ai{color:var(--ai);font-style:italic}li.ai{list-style:circle}
.ai.unverified{color:var(--warn)}
.ai.unverified::after{content:"unverified";font:600 .7rem system-ui,sans-serif;font-style:normal;
background:var(--warnbg);color:var(--warn);border-radius:4px;padding:.05rem .35rem;
margin-left:.4rem}
.cite{font:.75rem ui-monospace,SFMono-Regular,Menlo,monospace;font-style:normal;color:var(--accent);
background:var(--chip);border-radius:5px;padding:.05rem .35rem;margin-left:.3rem;white-space:nowrap}
.cite[title]{cursor:pointer}
.quote{display:block;font-style:normal;color:var(--fg);border-left:3px solid var(--accent);
margin:.3rem 0 .3rem .2rem;padding:.1rem .6rem;font-size:.92rem}
.transcript{margin:1.2rem 0}.transcript summary{cursor:pointer;color:var(--muted)}
.transcript ol{list-style:none;padding:0;font-size:.92rem}.transcript li{margin:.3rem 0}
.transcript li:target{background:var(--chip);border-radius:4px}
.t{font:.75rem ui-monospace,monospace;color:var(--muted);margin-right:.3rem}.who{font-weight:600}
.ask{margin-top:1.6rem;background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:.4rem 1.1rem 1rem}
.ask h2{font-size:1.1rem}
#ask-form{display:flex;gap:.5rem}
#question{flex:1;min-width:0;font:inherit;padding:.55rem .7rem;border:1px solid var(--line);
border-radius:8px;background:var(--bg);color:var(--fg)}
#ask-button{font:inherit;font-weight:600;padding:.55rem 1.1rem;border:0;border-radius:8px;
background:var(--accent);color:var(--card);cursor:pointer}
#ask-button:disabled{opacity:.6;cursor:progress}
#answer .answer{margin:.8rem 0 .3rem;white-space:pre-line}#answer .said{white-space:pre-line}
#answer ul{padding-left:1.1rem;margin:.2rem 0}
#answer .error{color:var(--warn)}
.hint{font-size:.8rem;color:var(--muted);margin:.6rem 0 0}
footer{margin-top:2rem;font-size:.8rem;color:var(--muted)}
@media (max-width:480px){main{padding:1rem .75rem 2rem}h1{font-size:1.4rem}
#ask-form{flex-direction:column}}
"""

# The only script: ask questions and show quotes. It writes text with textContent, never HTML.
PAGE_JS = """
(function(){
function quote(c){var n=c.nextElementSibling;
if(n&&n.classList.contains('quote')){n.remove();return;}
var q=c.getAttribute('title');if(!q)return;
var s=document.createElement('q');s.className='quote';s.textContent=q;c.after(s);}
document.querySelectorAll('.cite[title]').forEach(function(c){
c.setAttribute('tabindex','0');c.setAttribute('role','button');});
document.addEventListener('click',function(e){var c=e.target.closest('.cite');if(c)quote(c);});
document.addEventListener('keydown',function(e){
if(e.key==='Enter'&&e.target.classList&&e.target.classList.contains('cite'))quote(e.target);});
var form=document.getElementById('ask-form');if(!form)return;
var out=document.getElementById('answer'),btn=document.getElementById('ask-button');
function el(tag,cls,text){var x=document.createElement(tag);if(cls)x.className=cls;
if(text!=null)x.textContent=text;return x;}
function show(ok,d){out.replaceChildren();
if(!ok){out.append(el('p','error',(d&&d.error)||'Could not get an answer. Try again.'));return;}
out.append(el('p','answer',d.answer));var cs=d.citations||[];if(!cs.length)return;
var ul=el('ul','citations');cs.forEach(function(c){var li=el('li');
li.append(el('span','cite',c.time||'notes'));if(c.quote)li.append(' ',el('span','said',c.quote));
ul.append(li);});out.append(ul);}
form.addEventListener('submit',function(e){e.preventDefault();
var q=form.question.value.trim();if(!q)return;btn.disabled=true;
out.replaceChildren(el('p','answer','Looking through the notes…'));
fetch(form.action,{method:'POST',headers:{'Content-Type':'application/json'},
body:JSON.stringify({question:q})})
.then(function(r){return r.json().then(function(d){show(r.ok,d);});})
.catch(function(){show(false,null);})
.finally(function(){btn.disabled=false;});});
})();
"""
