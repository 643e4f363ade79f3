#!/usr/bin/env bash
# Install the lesson into a virtual environment: the pinned pip section of
# environment.yml (what Binder installs too), then this package in editable mode
# with its "dev" extra (the test runners and linter, pinned in pyproject.toml).
#
#   bash install.sh [VENV_DIR]               # default: .venv
#   PYTHON=/path/to/python3.12 bash install.sh
#   bash install.sh --check                  # only say which Python it would use
#
# TensorFlow 2.21 publishes wheels for Python 3.11, 3.12 and 3.13, so those are
# the ones accepted. Without PYTHON, the first of python3.11, python3.12,
# python3.13, python3 that runs and is one of them is used: 3.11 first because
# Binder and the full test suite run on it, then the next newer ones (CI also
# runs the everyday tests on 3.13).
set -euo pipefail
case ${BASH_SOURCE[0]} in */*) cd "${BASH_SOURCE[0]%/*}" ;; esac

SUPPORTED="3.11 3.12 3.13"
NEEDS="the lesson needs Python 3.11, 3.12 or 3.13 (TensorFlow 2.21 has wheels for those only)"

usage() { sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

check_only=0
venv=.venv
for argument in "$@"; do
  case $argument in
    -h | --help) usage; exit 0 ;;
    --check) check_only=1 ;;
    -*) echo "install.sh: unknown option $argument; see 'bash install.sh --help'." >&2; exit 2 ;;
    *) venv=$argument ;;
  esac
done

# "3.12" for a Python that runs, nothing (and failure) otherwise
version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2> /dev/null; }

# Why a pyenv shim runs no Python, as a sentence (nothing if $1 is not such a shim). A shim of
# a version pyenv has not selected prints "pyenv: python3.12: command not found" and the
# versions that have the command ("The `python3.12' command exists in these Python versions:");
# one of a selected version that is not installed prints "pyenv: version `3.12.1' is not
# installed (set by ...)".
pyenv_problem() {
  local said first found="" missing="" name=${1##*/} root=${PYENV_ROOT:-$HOME/.pyenv}
  said=$("$1" -c 'import sys' 2>&1 > /dev/null) && return 0
  case $said in "pyenv: "*) ;; *) return 0 ;; esac
  first=${said%%$'\n'*}
  local in_versions=$'exists in these Python versions:\n +([^\n]+)' not_installed="version \`([^']+)' is not installed"
  [[ $said =~ $in_versions ]] && found=${BASH_REMATCH[1]}
  [[ $first =~ $not_installed ]] && missing=${BASH_REMATCH[1]}
  if [ -n "$found" ]; then
    echo "$1 is a pyenv shim for a Python version pyenv has not selected ($first; $name exists in $found): run 'pyenv shell $found' first, or name the interpreter itself, PYTHON=$root/versions/$found/bin/$name"
  elif [ -n "$missing" ]; then
    echo "$1 is a pyenv shim, and the version pyenv has selected is not installed ($first): run 'pyenv install $missing' or select an installed version with 'pyenv shell', or name the interpreter itself, PYTHON=$root/versions/VERSION/bin/$name"
  else
    echo "$1 is a pyenv shim that runs no Python here ($first): select a version that has $name with 'pyenv shell' (or 'pyenv install' one), or name the interpreter itself, PYTHON=$root/versions/VERSION/bin/$name"
  fi
}
supported() { case " $SUPPORTED " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if [ -n "${PYTHON:-}" ]; then
  python=$PYTHON
  version=$(version_of "$python") || version=""
  if ! supported "$version"; then
    shim=$(pyenv_problem "$python")
    if [ -n "$shim" ]; then
      echo "install.sh: PYTHON=$shim." >&2
      exit 1
    fi
    found="Python $version"
    [ -n "$version" ] || found="not a Python that runs"
    echo "install.sh: PYTHON=$python is $found, but $NEEDS." >&2
    exit 1
  fi
else
  python="" skipped=""
  for candidate in python3.11 python3.12 python3.13 python3; do
    command -v "$candidate" > /dev/null || continue
    if ! version=$(version_of "$candidate"); then # e.g. a pyenv shim of a version not selected
      case $(pyenv_problem "$candidate") in
        "") why="it does not run" ;;
        *"has not selected"*) why="a pyenv shim of a version pyenv has not selected" ;;
        *"is not installed"*) why="a pyenv shim of a version that is not installed" ;;
        *) why="a pyenv shim that runs no Python" ;;
      esac
    elif supported "$version"; then
      python=$candidate
      break
    else
      why="Python $version"
    fi
    skipped="${skipped:+$skipped, }$candidate ($why)"
  done
  if [ -z "$python" ]; then
    echo "install.sh: $NEEDS, and no python3.11, python3.12, python3.13 or python3 on PATH is one${skipped:+ (skipped: $skipped)}: install one, or name it with 'PYTHON=/path/to/python3.12 bash install.sh'." >&2
    exit 1
  fi
  [ -z "$skipped" ] || echo "install.sh: skipped $skipped; using $candidate." >&2
fi
python=$("$python" -c 'import sys; print(sys.executable)')
if [ "$check_only" = 1 ]; then
  echo "install.sh would use $python (Python $version)."
  exit 0
fi

if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv")" ]; then
  echo "install.sh: $venv exists and is not a virtual environment; name a new or empty folder." >&2
  exit 1
fi
echo "Installing the lesson with $python (Python $version) into $venv (about 3 GB; a few minutes)."
"$python" -m venv --clear "$venv" \
  || { echo "install.sh: $python could not create a virtual environment (on Debian or Ubuntu: apt-get install python$version-venv)." >&2; exit 1; }
"$venv/bin/python" -m pip install --quiet --upgrade pip
# the '- pip:' list of environment.yml, one requirement a line
awk '/^ *- pip:/ {p = 1; next}
     p && /^ *- / {sub(/^ *- /, ""); print; next}
     p && NF && !/^ *#/ {p = 0}' environment.yml > "$venv/requirements.txt"
"$venv/bin/python" -m pip install --quiet -r "$venv/requirements.txt"
# the lesson itself, with the developers' tools pinned in pyproject.toml's "dev" extra
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
echo "Installed into $venv. Open the lesson with '$venv/bin/jupyter lab notebooks/01_building_the_data.ipynb', or activate the environment with '. $venv/bin/activate'."
