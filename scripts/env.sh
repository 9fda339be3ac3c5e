# Sourced by the scripts: the venv, the data folder and the state folder.
# VERTICALS_DATA defaults to the team's data folder beside the repo when it exists.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VERTICALS_VENV="${VERTICALS_VENV:-$ROOT/.venv}"
if [ -z "${VERTICALS_DATA:-}" ] && [ -d "$ROOT/../shared/data" ]; then
  export VERTICALS_DATA="$(cd "$ROOT/../shared/data" && pwd)"
fi
export VERTICALS_HOME="${VERTICALS_HOME:-$ROOT/var}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PATH="$VERTICALS_VENV/bin:$PATH"
