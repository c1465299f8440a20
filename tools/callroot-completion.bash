# Bash completion for callroot. Subcommands and options are read from the
# command's own --help as you type, so they never fall behind it.
_callroot() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local path=() i
  # The subcommands typed so far: `callroot rules check` -> (rules check).
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ ${COMP_WORDS[i]} == -* ]] && break
    path+=("${COMP_WORDS[i]}")
  done
  local help subcommands options
  help=$("${COMP_WORDS[0]}" "${path[@]}" --help 2>/dev/null) || return 0
  subcommands=$(printf '%s\n' "$help" | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
  options=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
  elif [[ -n $subcommands ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o filenames -F _callroot callroot
