# Sourced by scripts/*: create .venv with the given extra installed, once per change of pyproject.
VENV="${CFCOOKIES_VENV:-.venv}"
ensure_venv() {
  local extra="$1" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
  fi
  stamp="$VENV/.installed-$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing cfcookies[$extra] into $VENV"
    "$VENV/bin/python" -m pip install -q -e ".[$extra]"
    touch "$stamp"
  fi
}
