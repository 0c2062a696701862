# Sourced by scripts/*: create a virtual environment with the given extra installed, once per
# change of pyproject. VENV names it (.venv unless CFCOOKIES_VENV says otherwise) and PYTHON is
# the interpreter that creates it (python3 unless set before sourcing).
VENV="${VENV:-${CFCOOKIES_VENV:-.venv}}"
PYTHON="${PYTHON:-python3}"
ensure_venv() {
  local extra="$1" stamp
  if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV ($("$PYTHON" --version))"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
  fi
  stamp="$VENV/.installed-$extra"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing cfcookies[$extra] into $VENV"
    "$VENV/bin/python" -m pip install -q -e ".[$extra]"
    touch "$stamp"
  fi
}

# The interpreter for a version like 3.10: pyenv's build of it, else python3.10 on PATH.
find_python() {
  local version="$1" candidate
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in $(ls -d "$(pyenv root)/versions/$version".* 2>/dev/null | sort -V -r); do
      if [ -x "$candidate/bin/python$version" ]; then
        echo "$candidate/bin/python$version"
        return 0
      fi
    done
  fi
  if command -v "python$version" >/dev/null 2>&1 && "python$version" -c "" >/dev/null 2>&1; then
    command -v "python$version"
    return 0
  fi
  echo "scripts/test: no Python $version found (looked in pyenv's versions and for python$version on PATH)" >&2
  return 1
}
