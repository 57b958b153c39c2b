# bash completion for concertctl: nouns, verbs and options as concertctl
# --help lists them (the plugins' operations included, from the daemon or
# the list kept when it last answered), options of each command from
# concertctl NOUN VERB --help, and region ids from the daemon.
# Installed in /usr/share/bash-completion/completions/concertctl.

_concertctl_commands() {
    # "  noun verb args   help" lines of the help; global options start with --.
    concertctl --timeout 300 "${_concertctl_globals[@]}" --help 2>/dev/null |
        sed -n 's/^  \([a-z_]\{1,\}\)\( [a-z_]\{1,\}\)\{0,1\}\( .*\)\{0,1\}$/\1\2/p' | sed 's/ \{2,\}.*//'
}

_concertctl() {
    local cur prev words cword
    _init_completion || return
    # Global options given before the noun are passed on to the lookups.
    local i=1 _concertctl_globals=()
    while [ $i -lt "$cword" ] && [[ ${words[i]} == --* ]]; do
        case ${words[i]} in
        --endpoint | --events | --config | --timeout | --lang | --as)
            _concertctl_globals+=("${words[i]}" "${words[i + 1]}")
            i=$((i + 2))
            ;;
        *)
            _concertctl_globals+=("${words[i]}")
            i=$((i + 1))
            ;;
        esac
    done
    case $prev in
    --config) _filedir conf; return ;;
    --lang) COMPREPLY=($(compgen -W "fr en" -- "$cur")); return ;;
    --endpoint | --events | --timeout | --as) return ;;
    esac
    local noun_at=$i
    if [ "$cword" -eq "$noun_at" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--endpoint --events --config --json --lang --as --timeout --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_concertctl_commands | cut -d' ' -f1 | sort -u) tail call keygen" -- "$cur"))
        fi
        return
    fi
    local noun=${words[noun_at]}
    if [ "$cword" -eq $((noun_at + 1)) ]; then
        COMPREPLY=($(compgen -W "$(_concertctl_commands | awk -v n="$noun" '$1 == n && NF > 1 {print $2}')" -- "$cur"))
        [ "$noun" = web ] && COMPREPLY+=($(compgen -W "user" -- "$cur"))
        return
    fi
    local verb=${words[noun_at + 1]}
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(concertctl "${_concertctl_globals[@]}" "$noun" "$verb" --help 2>/dev/null |
            sed -n 's/^  \(--[a-z-]\{1,\}\).*/\1/p') --help" -- "$cur"))
        return
    fi
    # The first argument of most commands is a region: its id, from the daemon.
    if [ "$cword" -eq $((noun_at + 2)) ] && concertctl "${_concertctl_globals[@]}" "$noun" "$verb" --help 2>/dev/null |
        head -1 | grep -q "^Usage: concertctl $noun $verb \(region\|id\)\b"; then
        COMPREPLY=($(compgen -W "$(concertctl --timeout 300 "${_concertctl_globals[@]}" --json region list 2>/dev/null |
            grep -o '"id": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')" -- "$cur"))
    fi
}
complete -F _concertctl concertctl
