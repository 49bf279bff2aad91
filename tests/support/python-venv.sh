# Sourced by the scripts that drive agentctl from Python (tests/browser, tests/contract): one
# virtualenv under target/, made on a bare Debian machine if need be, holding what they need.
#
#   python_venv ROOT MODULE REQUIREMENT   # e.g. python_venv "$root" playwright "playwright>=1.65,<2"
#
# Sets $venv to the virtualenv's folder.
python_venv() {
  local root=$1 module=$2 requirement=$3
  venv="$root/target/py-venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      python3 -m venv "$venv"
    }
  fi
  if ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
    "$venv/bin/pip" install -q "$requirement"
  fi
}
