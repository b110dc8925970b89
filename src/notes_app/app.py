"""The use-case layer: one method per thing a user does, for the command line and the window.

``App`` alone wires the settings, the store, the Whisper engine and the enhancer: ``cli/`` parses
and prints, ``gui/`` shows and runs these methods off the GUI thread, and neither assembles a
job of its own. Settings are read once (``App.load``) and the database is opened once per
thread: a worker thread takes ``with app.on_this_thread() as own:`` for a connection of its own.

Heavy modules (faster-whisper, sounddevice, openai, httpx) are imported inside the methods that
need them, so starting the command line or the window stays quick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_app.config import Settings, load_settings
from notes_app.domain import EnhancedNotes, Meeting, Transcript
from notes_app.errors import AudioError, NotesAppError, StorageError
from notes_app.events import BlockWritten, OnEvent, progress_reporter
from notes_app.store.repo import Repo
from notes_app.usecases.files import attendees_of, read_notes, title_from_filename

if TYPE_CHECKING:
    from notes_app.ask import Answer
    from notes_app.audio.devices import DeviceChoice, InputDevice
    from notes_app.calendars.ics import CalendarEvent
    from notes_app.calendars.sources import Calendars
    from notes_app.deletion import Deleted
    from notes_app.enhance.templates import Template
    from notes_app.sample import SampleMeeting
    from notes_app.session import MeetingSession, SessionListener
    from notes_app.share.desktop import Sharing
    from notes_app.share.model import ShareOptions
    from notes_app.store.repair import Repaired
    from notes_app.store.search import Filters, SearchResult
    from notes_app.store.shares import ShareRecord
    from notes_app.transcribe.engine import WhisperEngine
    from notes_app.transcribe.remote import FileTranscriber, RemoteTranscriber
    from notes_app.usecases.exporting import FolderExport
    from notes_app.usecases.vault import VaultWrite


@dataclass(frozen=True)
class Whisper:
    """A Whisper engine (it loads on first use), its model's name and the language to use;
    ``remote``: the server whole files go to (``transcribe.backend = openai``), if any."""

    engine: WhisperEngine
    model: str
    language: str | None
    remote: RemoteTranscriber | None = None

    def for_files(self, on_notice: Callable[[str], None] | None = None) -> FileTranscriber:
        """What transcribes a whole file: the server when one is set (this computer's engine
        when the server cannot be used; ``on_notice`` hears the sentence that says so), else
        the engine."""
        if self.remote is None:
            return self.engine
        from notes_app.transcribe.remote import WithFallback

        return WithFallback(self.remote, self.engine, self.model, on_notice=on_notice)


def language_for(model: str, language: str | None) -> str | None:
    """The language to transcribe in: an English-only model is always English; "auto" or
    nothing means detect it."""
    if model.endswith(".en") and language in (None, "", "auto"):
        return "en"
    return None if language in (None, "", "auto") else language


@dataclass
class App:
    settings: Settings
    _repo: Repo | None = field(default=None, repr=False)

    @classmethod
    def load(cls, home: Path | None = None) -> App:
        return cls(settings=load_settings(home))

    @property
    def repo(self) -> Repo:
        if self._repo is None:
            self._repo = Repo.open(self.settings.db_path)
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    @contextmanager
    def on_this_thread(self) -> Iterator[App]:
        """The same settings with a database connection of this thread's own, closed after."""
        own = App(self.settings)
        try:
            yield own
        finally:
            own.close()

    # --- speech to text ---------------------------------------------------------------------------

    def whisper(
        self, model: str | None = None, language: str | None = None, *, live: bool = False
    ) -> Whisper:
        """The engine for ``model`` (default: the configured one) and the language for it:
        ``language``, else the setting. ``live``: greedy decoding, to keep up with a call.
        Whole files go to the configured server (``transcribe.backend``) unless a local
        ``model`` is named or it is ``live``."""
        from notes_app.transcribe.engine import engine_for
        from notes_app.transcribe.remote import remote_for

        options = {"beam_size": 1} if live else {}
        engine, name = engine_for(self.settings, model, **options)
        chosen = language if language is not None else self.settings.transcribe.language
        remote = None if live or model else remote_for(self.settings, chosen)
        return Whisper(engine, name, language_for(name, chosen), remote)

    def transcribe_file(
        self,
        path: Path,
        whisper: Whisper,
        *,
        on_event: OnEvent | None = None,
        notes: str = "",
        title: str = "",
        attendees: Sequence[str] = (),
    ) -> Transcript:
        """A transcript of an audio file (stereo: left = me, right = them). The notes typed for
        it, its title, attendees and the glossary teach the recogniser their words."""
        from notes_app.transcribe.vocabulary import build_vocabulary

        vocabulary = build_vocabulary(
            notes=notes,
            title=title,
            attendees=attendees,
            glossary=self.settings.transcribe.vocabulary,
        )
        return whisper.for_files().transcribe_file(
            path,
            language=whisper.language,
            on_progress=progress_reporter(on_event),
            vocabulary=vocabulary,
        )

    def save_transcribed(
        self,
        source: Path,
        transcript: Transcript,
        *,
        title: str,
        duration: float,
        notes: str = "",
    ) -> int:
        """One new meeting holding the transcript, the notes and a copy of the audio, all or
        nothing: the copy takes its name as the meeting is committed, and is removed if
        storing fails (a killed process leaves a ``.part`` that ``recover`` removes)."""
        from notes_app.transcribe.save import commit_copy, copy_audio, discard_copy, final_path

        part = copy_audio(source, self.settings.audio_dir)
        try:
            with self.repo.transaction():
                meeting_id = self.repo.create_meeting(
                    title,
                    duration=duration,
                    language=transcript.language,
                    audio_path=str(final_path(part)),
                    notes=notes,
                    segments=transcript.segments,
                )
                commit_copy(part)
            return meeting_id
        except BaseException:
            discard_copy(part)
            raise

    def import_transcript(
        self, path: Path, *, title: str | None = None, notes_path: Path | None = None
    ) -> tuple[int, Transcript]:
        """A transcript file (VTT, SRT, JSON, TXT) and the user's notes as a new meeting: both
        are read first, then stored in one transaction."""
        from notes_app.transcribe.importers import load_transcript

        transcript = load_transcript(path)
        notes = read_notes(notes_path) if notes_path else ""
        started = datetime.now(timezone.utc).replace(microsecond=0)
        meeting_id = self.repo.create_meeting(
            title or title_from_filename(path),
            started_at=started.isoformat(),
            ended_at=(started + timedelta(seconds=transcript.duration)).isoformat(),
            duration=transcript.duration,
            language=transcript.language,
            attendees=attendees_of(transcript),
            notes=notes,
            segments=transcript.segments,
        )
        return meeting_id, transcript

    def demo(self, whisper: Whisper, *, on_event: OnEvent | None = None) -> SampleMeeting:
        """The bundled sample meeting transcribed, stored with its notes and enhanced offline."""
        from notes_app import sample

        notes = sample.sample_notes()
        local = replace(whisper, remote=None)  # the sample needs no set-up and no network
        with sample.sample_audio() as audio:
            transcript = self.transcribe_file(audio, local, on_event=on_event)
            meeting_id = self.save_transcribed(
                audio,
                transcript,
                title=sample.SAMPLE_TITLE,
                duration=sample.sample_info().duration,
                notes=notes,
            )
        self.repo.update_meeting(meeting_id, attendees=list(sample.SAMPLE_ATTENDEES))
        enhanced = self.enhance_meeting(meeting_id, mode="offline")
        return sample.SampleMeeting(meeting_id, notes, transcript, enhanced)

    # --- recording --------------------------------------------------------------------------------

    def record_session(
        self,
        listener: SessionListener,
        *,
        model: str | None = None,
        mic: str | None = None,
        system: str | None = None,
    ) -> MeetingSession:
        """A session recording the chosen mic (me) and system audio (them), its model loaded.

        Device problems that still leave something to record go to ``listener.on_warning``.
        Takes a moment (devices, model): the window calls it on a worker thread.
        """
        from notes_app.audio.capture import Capture
        from notes_app.audio.devices import finder_for_platform
        from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
        from notes_app.session import MeetingSession

        sounddevice = _sounddevice()
        audio = self.settings.audio
        choice = finder_for_platform(sounddevice).choose(
            audio.mic_device if mic is None else mic,
            audio.system_device if system is None else system,
        )
        if choice.mic is None and choice.system is None:
            raise AudioError(
                "Nothing to record: "
                + (" ".join(choice.problems) or "both inputs are set to none.")
            )
        for problem in choice.problems:
            listener.on_warning(problem)
        whisper = self.whisper(model)
        whisper.engine.load()  # before capture starts, so the first words do not wait for it
        return MeetingSession(
            self.repo,
            whisper.engine,
            Capture(sounddevice, {CHANNEL_ME: choice.mic, CHANNEL_THEM: choice.system}),
            audio_dir=self.settings.audio_dir,
            language=whisper.language,
            keep_audio=audio.keep_audio,
            listener=listener,
            glossary=self.settings.transcribe.vocabulary,
        )

    def devices(self) -> tuple[list[InputDevice], DeviceChoice]:
        """The audio inputs there are, and the mic and system-audio source a recording would
        use with the settings' choices (problems say what is missing and what to do)."""
        from notes_app.audio.devices import finder_for_platform

        finder = finder_for_platform()
        audio = self.settings.audio
        return finder.list_inputs(), finder.choose(audio.mic_device, audio.system_device)

    def unfinished(self) -> list[Meeting]:
        """Meetings a crash left "recording" (their recorder is gone)."""
        if not self.repo.list_meetings(status="recording"):
            return []  # the usual answer, without loading the recovery's audio machinery
        from notes_app.recover import unfinished

        return unfinished(self.repo)

    def remove_leftovers(self) -> list[Path]:
        """Audio copies a process killed while saving left behind, removed; returns them."""
        from notes_app.recover import remove_leftovers

        return remove_leftovers(self.repo, self.settings.audio_dir)

    def recover(
        self, meeting: Meeting, whisper: Whisper, *, on_event: OnEvent | None = None
    ) -> Meeting:
        """Finish a meeting a crash left "recording": what was saved stays, the spooled rest of
        the audio is transcribed (the model loads only if there is some), the audio closed."""
        from notes_app.recover import recover_meeting

        return recover_meeting(
            self.repo,
            whisper.engine,
            meeting,
            language=whisper.language,
            keep_audio=self.settings.audio.keep_audio,
            on_progress=progress_reporter(on_event),
        )

    # --- the final pass after a recording (transcribe/final_pass.py) ------------------------------

    def finalize_recording(
        self,
        meeting_id: int,
        on_progress: Callable[[float, float], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> Transcript:
        """The recorded meeting's audio transcribed again in batch (``transcribe.final_model``,
        else the configured model; the notes, title, attendees and glossary as vocabulary); the
        result replaces the live transcript, and the latest enhanced notes get a new version
        whose citations point into it. If this fails or is cancelled (FinalPassCancelled), the
        live transcript stays. ``on_progress(done, total)`` counts seconds of audio;
        ``on_notice`` hears the sentence said if a transcription server fails and this computer
        does the pass instead."""
        from notes_app.transcribe.final_pass import final_pass, remap_citations
        from notes_app.transcribe.vocabulary import build_vocabulary

        meeting = self.repo.get_meeting(meeting_id)
        audio = Path(meeting.audio_path) if meeting.audio_path else None
        if audio is None or not audio.is_file():
            raise AudioError(
                f"Meeting {meeting_id} has no recording to transcribe again (the audio was not "
                "kept or has been moved); its live transcript stays as it is."
            )
        from notes_app.transcribe.remote import remote_for

        whisper = self.whisper(self.settings.transcribe.final_model or None, meeting.language)
        chosen = meeting.language or self.settings.transcribe.language
        whisper = replace(whisper, remote=remote_for(self.settings, chosen))  # the server, if set
        vocabulary = build_vocabulary(
            notes=meeting.notes,
            title=meeting.title,
            attendees=meeting.attendees,
            glossary=self.settings.transcribe.vocabulary,
        )
        final = final_pass(
            whisper.for_files(on_notice),
            audio,
            vocabulary,
            on_progress,
            cancel,
            language=whisper.language,
        )
        live = self.repo.get_transcript(meeting_id)
        if not final.segments and live.segments:
            return live  # nothing heard on a second listen: keep what was heard live
        with self.repo.transaction():
            self.repo.replace_segments(meeting_id, final.segments)
            enhanced = self.repo.get_enhanced(meeting_id)
            if enhanced is not None:
                self.repo.add_enhanced(remap_citations(enhanced, live.segments, final.segments))
        if enhanced is not None:
            self.vault_after_enhance(meeting_id)  # the vault's citations point into the new one
        return self.repo.get_transcript(meeting_id)

    # --- enhancing --------------------------------------------------------------------------------

    def templates(self) -> list[Template]:
        """The built-in note templates and the user's own (Markdown files in templates/)."""
        from notes_app.enhance.templates import list_templates

        return list_templates(self.settings.templates_dir)

    def enhance(
        self,
        meeting: Meeting,
        transcript: Transcript,
        *,
        mode: str | None = None,
        template: str | None = None,
        fallback: str | None = None,
        on_event: OnEvent | None = None,
    ) -> EnhancedNotes:
        """The meeting's notes (as given in ``meeting``) enhanced with ``transcript``; nothing is
        stored. Blocks stream as ``BlockWritten``, parts of a long meeting as ``Progress``.
        Safe on any thread: it reads only the settings."""
        from notes_app.enhance import enhancer

        settings = self.settings
        notes = enhancer.enhance(
            transcript,
            meeting.notes,
            llm_settings=settings.llm,
            mode=mode or settings.enhance.mode,
            template=template or settings.enhance.template,
            templates_dir=settings.templates_dir,
            fallback=fallback,
            on_block=(lambda block: on_event(BlockWritten(block))) if on_event else None,
            on_progress=progress_reporter(on_event),
            meeting=meeting,
        )
        return notes if notes.meeting_id == meeting.id else replace(notes, meeting_id=meeting.id)

    def enhance_meeting(self, meeting_id: int, **options: Any) -> EnhancedNotes:
        """A stored meeting enhanced and the result stored as a new version (the notes as typed
        are never overwritten). ``options`` are those of ``enhance``."""
        meeting = self.repo.get_meeting(meeting_id)
        transcript = self.repo.get_transcript(meeting_id)
        if not transcript.segments:
            raise NotesAppError(
                f"Meeting {meeting_id} has no transcript, so there is nothing to ground the "
                "notes in. Transcribe its audio or import a transcript first "
                "(`notes-app import FILE --notes NOTES.md`)."
            )
        notes = self.enhance(meeting, transcript, **options)
        stored = self.repo.add_enhanced(notes)
        # The notice (how many lines kept the offline text) is for this run, not stored.
        return replace(stored, notice=_joined(notes.notice, self.vault_after_enhance(meeting_id)))

    # --- reading ----------------------------------------------------------------------------------

    def meetings(
        self,
        *,
        since: str | None = None,
        attendee: str | None = None,
        folder: str | None = None,
    ) -> list[Meeting]:
        """Meetings newest first: those started on or after ``since`` (an ISO date or time),
        with an attendee whose name contains ``attendee`` (any case), in ``folder`` or a folder
        inside it ("/": in no folder)."""
        from notes_app.usecases.reading import select_meetings

        found = self.repo.list_meetings(folder=folder)
        return select_meetings(found, since=since, attendee=attendee)

    # --- folders and tags -------------------------------------------------------------------------

    def move_meeting(self, meeting_id: int, folder: str | None) -> Meeting:
        """Put a meeting in a folder ("Clients/Acme"); "" or "/" takes it out of any folder.
        Its file in the vault, if it has one, says the new folder."""
        moved = self.repo.move_meeting(meeting_id, folder)
        self.vault_after_enhance(meeting_id)  # a failure is logged; the move stands
        return moved

    def tag_meeting(
        self, meeting_id: int, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> Meeting:
        """Add and remove tags of a meeting; returns it with its tags now."""
        from notes_app.store.folders import tag_name

        meeting = self.repo.get_meeting(meeting_id)
        gone = {tag_name(t) for t in remove}
        kept = [t for t in meeting.tags if t not in gone]
        tagged = self.repo.set_tags(meeting_id, [*kept, *add])
        self.vault_after_enhance(meeting_id)  # the vault's file lists the tags
        return tagged

    def folders(self) -> list[tuple[str, int]]:
        """Each folder holding meetings, with how many."""
        return self.repo.folders()

    def search(self, text: str, filters: Filters, *, limit: int = 20) -> list[SearchResult]:
        """Hits for what the user typed (never FTS syntax) in titles, notes and transcripts."""
        from notes_app.store.search import search

        if filters.meeting_id is not None:
            self.repo.get_meeting(filters.meeting_id)  # a mistyped id is an error, not no hits
        return search(self.repo.db, text, filters, limit=limit)

    # --- asking -----------------------------------------------------------------------------------

    def ask(self, question: str, filters: Filters, *, use_llm: bool | None = None) -> Answer:
        """An answer with citations from the meetings ``filters`` select; the exchange is kept
        in the meeting's (or the global) question history."""
        from notes_app.ask import answer_question
        from notes_app.semantic import embedder_for

        # The semantic stage lifts recall on real meetings (benchmarks/retrieval_eval.py), so
        # the bundled offline embedder is on whenever its package is installed.
        answer = answer_question(
            self.repo,
            question,
            filters,
            llm_settings=self.settings.llm,
            use_llm=use_llm,
            embedder=embedder_for(self.settings.llm),
        )
        citations = answer.to_dict()["citations"]
        try:
            self.repo.chat.add(filters.meeting_id, question, answer.text, answer.mode, citations)
        except StorageError as e:  # a full disk: the answer stands, the history misses it
            logging.getLogger(__name__).warning("The question was not kept in the history: %s", e)
        return answer

    # --- the Markdown vault (usecases/vault.py) ---------------------------------------------------

    def write_to_vault(self, meeting_id: int) -> VaultWrite | None:
        """The meeting's latest enhanced notes written to the vault (``notes.vault``) as
        ``YYYY-MM-DD Title.md``; None when no vault is set or there is nothing enhanced. A file
        edited in the vault is kept, the notes written beside it (the result says so)."""
        from notes_app.usecases.vault import INDEX_FILE, write_meeting

        vault = self.settings.vault_path
        notes = self.repo.get_enhanced(meeting_id) if vault is not None else None
        if vault is None or notes is None:
            return None
        meeting = self.repo.get_meeting(meeting_id)
        return write_meeting(vault, self.settings.home / INDEX_FILE, meeting, notes)

    def vault_after_enhance(self, meeting_id: int) -> str | None:
        """After new enhanced notes are stored: the vault's file brought up to date. Returns a
        sentence when the user should hear of it (a file kept, or writing failed); the notes
        are stored either way."""
        try:
            done = self.write_to_vault(meeting_id)
        except NotesAppError as e:
            logging.getLogger(__name__).warning(
                "Not written to the vault: %s", e, exc_info=True, extra={"file_only": True}
            )
            return f"The notes are saved, but not written to the vault: {e}"
        if done is not None and done.kept is not None:
            logging.getLogger(__name__).info("%s", done.message)
            return done.message
        return None

    def vault_sync(self, *, on_event: OnEvent | None = None) -> list[VaultWrite]:
        """Every enhanced meeting written to the vault (those already there and unchanged are
        left as they are); returns what happened to each."""
        if self.settings.vault_path is None:
            raise NotesAppError(
                "No vault is set. Choose a folder (an Obsidian vault, say) with "
                "`notes-app config set notes.vault ~/Documents/Vault/Meetings`, then sync again."
            )
        meetings = self.repo.list_meetings()
        report = progress_reporter(on_event)
        done: list[VaultWrite] = []
        for n, meeting in enumerate(reversed(meetings), 1):  # oldest first: "(2)" goes to the later
            written = self.write_to_vault(meeting.id)
            if written is not None:
                done.append(written)
            if report:
                report(n, len(meetings))
        return done

    # --- the calendar (calendars/) ---------------------------------------------------------------

    def calendars(self) -> Calendars:
        """The calendars the user added (ICS files, private iCal addresses), cached."""
        from notes_app.calendars.sources import Calendars

        return Calendars(self.settings.home)

    def upcoming_events(
        self, days: int = 7, *, refresh: bool = True
    ) -> tuple[list[CalendarEvent], list[str]]:
        """Today's events and those of the next ``days`` days, and a sentence for each calendar
        that could not be fetched now (its cached copy is used)."""
        today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return self.calendars().events(today, today + timedelta(days=days + 1), refresh=refresh)

    def name_from_calendar(
        self, meeting_id: int, *, keep_title: bool = False
    ) -> CalendarEvent | None:
        """A meeting started within 10 minutes of an event's start takes the event's title
        (unless ``keep_title``) and attendees; returns the event. A calendar that cannot be
        read is logged and changes nothing: it never stops a recording."""
        from notes_app.calendars.ics import NEAR, event_near
        from notes_app.clock import parse_iso

        log = logging.getLogger(__name__)
        calendars = self.calendars()
        try:
            if not calendars.sources():
                return None
            # A connection of its own: a recording session is writing on this App's.
            with self.on_this_thread() as own:
                meeting = own.repo.get_meeting(meeting_id)
                began = parse_iso(meeting.started_at)
                if began is None:
                    return None
                events, problems = calendars.events(began - NEAR, began + NEAR)
                for problem in problems:
                    log.warning("Calendar: %s", problem)
                event = event_near(events, began)
                if event is None:
                    return None
                own.name_from_event(meeting_id, event, keep_title=keep_title)
                return event
        except NotesAppError as e:
            log.warning("The meeting was not named from the calendar: %s", e, exc_info=True)
            return None

    def name_from_event(
        self, meeting_id: int, event: CalendarEvent, *, keep_title: bool = False
    ) -> Meeting:
        """The meeting takes the event's title (unless ``keep_title``) and its attendees
        (after those it has): the recogniser's vocabulary reads them from the meeting."""
        meeting = self.repo.get_meeting(meeting_id)
        attendees = list(dict.fromkeys([*meeting.attendees, *event.attendees]))
        title = {} if keep_title else {"title": event.title}
        self.repo.update_meeting(meeting_id, attendees=attendees, **title)
        return self.repo.get_meeting(meeting_id)

    def meeting_for_event(self, event: CalendarEvent) -> int:
        """A new meeting for a calendar event, titled from it, with its attendees."""
        return self.repo.create_meeting(event.title, attendees=list(event.attendees))

    # --- exporting --------------------------------------------------------------------------------

    def export(self, meeting_id: int, fmt: str, *, version: int | None = None) -> str:
        """The meeting's enhanced notes (the latest, or ``version``) as Markdown ("md"), one
        self-contained HTML file ("html", the transcript's quotes on its citations) or JSON."""
        from notes_app import render

        meeting = self.repo.get_meeting(meeting_id)
        notes = self.repo.get_enhanced(meeting_id, version)
        if notes is None:
            raise StorageError(
                f"“{meeting.title}” has no enhanced notes to export yet: enhance it first "
                f"(Enhance in the window, or `notes-app enhance {meeting_id}`)."
            )
        if fmt == "md":
            return render.notes_to_markdown(meeting, notes)
        if fmt == "html":
            return render.notes_to_html(meeting, notes, self.repo.get_transcript(meeting_id))
        if fmt == "json":
            return render.notes_to_json(meeting, notes)
        raise NotesAppError(f"Unknown export format {fmt!r}: choose md, html or json.")

    def export_folder(self, folder: str, fmt: str, directory: Path) -> FolderExport:
        """Each enhanced meeting in ``folder`` written to ``directory`` as
        ``YYYY-MM-DD Title.<fmt>``; those not enhanced yet are listed, not written."""
        from notes_app.usecases.exporting import export_folder

        return export_folder(self, folder, fmt, directory)

    def export_file(
        self, meeting_id: int, fmt: str, path: Path, *, version: int | None = None
    ) -> Path:
        """``export`` written to ``path`` (UTF-8); an unwritable place is a clear error."""
        text = self.export(meeting_id, fmt, version=version)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as e:
            raise StorageError(
                f"Could not write {path}: {e.strerror}. Choose another folder or file name."
            ) from None
        return path

    # --- sharing and deleting ---------------------------------------------------------------------

    def sharing(self) -> Sharing:
        from notes_app.share.desktop import Sharing

        return Sharing(self.settings, self.repo)

    def share(self, meeting_id: int, options: ShareOptions) -> ShareRecord:
        """Publish the meeting's latest enhanced notes as a private link."""
        return self.sharing().publish(meeting_id, options)

    def shares(self, meeting_id: int | None = None) -> list[ShareRecord]:
        return self.sharing().list(meeting_id)

    def unshare(self, share_id: str) -> tuple[ShareRecord, bool]:
        """Revoke a link; the bool says whether the server still served it."""
        return self.sharing().revoke(share_id)

    def live_links(self, meeting_id: int) -> int:
        """How many of the meeting's share links are still live (from the local records)."""
        from notes_app.deletion import live_links

        return len(live_links(self.sharing(), meeting_id))

    def delete_meeting(self, meeting_id: int) -> Deleted:
        """Revoke the meeting's links, then delete it and the audio the app recorded."""
        from notes_app.deletion import delete_meeting

        return delete_meeting(self.settings, self.repo, meeting_id, sharing=self.sharing())

    # --- the database itself ----------------------------------------------------------------------

    def repair(self) -> Repaired:
        """A sound database gets its search index rebuilt; a damaged one is replaced by a new
        database holding what can still be read, the damaged file kept beside it."""
        from notes_app.store.repair import repair

        self.close()  # this connection must not hold the file being replaced
        return repair(self.settings.db_path)


def _joined(*sentences: str | None) -> str | None:
    return " ".join(s for s in sentences if s) or None


def _sounddevice():
    try:
        import sounddevice
    except OSError as e:  # PortAudio itself is missing
        raise AudioError(
            f"PortAudio is not available ({e}). Install it (Debian/Ubuntu: apt install "
            "libportaudio2) to record."
        ) from None
    return sounddevice
