#!/bin/sh
# Install the notes-app bundle this archive holds, for you alone (default) or for everyone:
#
#   ./install.sh                     # into ~/.local: ~/.local/bin/notes-app, the menu entry, the icon
#   sudo ./install.sh --prefix /usr/local
#   ./install.sh --uninstall [--prefix DIR]
#
# The app lands in PREFIX/lib/notes-app, the command PREFIX/bin/notes-app links to it, and
# PREFIX/share/applications/notes-app.desktop starts it from the applications menu.
set -eu

prefix="${HOME:?}/.local"
uninstall=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a folder}"; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "Unknown option $1 (see --help)." >&2; exit 2 ;;
  esac
done
case "$prefix" in
  /*) ;;
  *) prefix="$(pwd)/$prefix" ;;
esac
case "$prefix" in
  *[\"\`\$\\]*) echo "The folder $prefix has a character a menu entry cannot hold (\" \` \$ \\); choose another." >&2
     exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
lib="$prefix/lib/notes-app"
bin="$prefix/bin"
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor/scalable/apps"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 \
    && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
}

if [ -n "$uninstall" ]; then
  rm -rf "$lib"
  [ -L "$bin/notes-app" ] && rm -f "$bin/notes-app"
  rm -f "$apps/notes-app.desktop" "$icons/notes-app.svg"
  refresh
  echo "Removed notes-app from $prefix. Your meetings and settings are kept in its data folder."
  exit 0
fi

if [ ! -x "$here/notes-app/notes-app" ]; then
  echo "No bundle beside this script ($here/notes-app/notes-app): unpack the whole archive first." >&2
  exit 1
fi

# The new copy goes in beside the old one, then takes its place: a failed copy leaves the old.
mkdir -p "$prefix/lib" "$bin" "$apps" "$icons"
rm -rf "$lib.new"
cp -R "$here/notes-app" "$lib.new"
rm -rf "$lib"
mv "$lib.new" "$lib"
ln -sf "$lib/notes-app" "$bin/notes-app"
sed "s|^Exec=.*|Exec=\"$lib/notes-app\"|" "$here/notes-app.desktop" >"$apps/notes-app.desktop"
chmod 644 "$apps/notes-app.desktop"
cp "$here/notes-app.svg" "$icons/notes-app.svg"
chmod 644 "$icons/notes-app.svg"
refresh

echo "Installed notes-app in $lib."
echo "Start it from the applications menu (Notes), or run: $bin/notes-app"
case ":${PATH:-}:" in
  *":$bin:"*) ;;
  *) echo "($bin is not on your PATH: add it to run notes-app by name.)" ;;
esac
