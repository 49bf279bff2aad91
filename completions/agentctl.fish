# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_agentctl_global_optspecs
    string join \n C= store= color= no-pager lock-timeout= h/help V/version
end

function __fish_agentctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_agentctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_agentctl_using_subcommand
    set -l cmd (__fish_agentctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c agentctl -n "__fish_agentctl_needs_command" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_needs_command" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_needs_command" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_needs_command" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_needs_command" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_needs_command" -s V -l version -d 'Print version'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "init" -d 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "new" -d 'Create agents/AGENT.yaml from a commented template holding every section'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "status" -d 'Show each agent\'s state: clean, modified, new, missing or invalid'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "validate" -d 'Check staging files: YAML syntax, types, required fields, unique names'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "diff" -d 'Show what differs between production and staging, field by field'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "publish" -d 'Make staging live: record a new production version for each agent that changed'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "log" -d 'Show the publish history, newest first'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "blame" -d 'Show which publish last changed each field of an agent: version, id, author and date'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "show" -d 'Show one publish: who, when, its message, and its changes against the publish before it'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "revert-preview" -d 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "revert" -d 'Take the changes of a past publish back out of staging (production is untouched)'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "restore" -d 'Set staging to a publish\'s snapshot (default production), discarding staging edits'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "undo" -d 'Put back a staging file as it was before the last `revert` or `restore`'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "export" -d 'Write production configs (or those of --ref) for deployment and integrations'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "schema" -d 'Print the JSON Schema (draft-07) of the agent file, for editors\' YAML language servers'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, powershell, elvish)'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "verify" -d 'Check the store\'s integrity: every snapshot hash and the hash chain of every history'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "store" -d 'Manage stores: copy a whole history between SQLite and PostgreSQL'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "serve" -d 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`'
complete -c agentctl -n "__fish_agentctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -l json -d 'Print JSON: {"agents": [{agent, state, format, production}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -l json -d 'Print JSON: {"agents": [{agent, valid, format, errors: [{message, file, line, column}]}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l from -d 'The old side: production, staging, vN or a change_track_id prefix' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l to -d 'The new side: production, staging, vN or a change_track_id prefix' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l format -d 'Output format: side-by-side text, JSON, or markdown for a pull-request comment' -r -f -a "text\t''
json\t''
markdown\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l stat -d 'Only count changes per section and list their paths, without values'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l exit-code -d 'Exit with 1 when there are differences, 0 when there are none'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l unified -d 'Stacked view: the old value above the new one (the default below 80 columns)'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l json -d 'Same as --format json: {"agents": [{agent, from, to, has_changes, changes}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -s m -l message -d 'The message recorded with the publish [default: a summary of the changes]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l author -d 'Who publishes [default: AGENTCTL_AUTHOR, the user config, git\'s user, the login name]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l expect -d 'Publish only if production is still REF (one agent only); protects against publishing over a change you have not seen' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l dry-run -d 'Show what would be published without recording anything'
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l json -d 'Print JSON: {"has_changes", "results": [{agent, has_changes, version, change_track_id, …}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -s n -l max-count -d 'Show at most N entries' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l touching -d 'Only the entries whose changes touch PATH (model.temperature, tools[web_search], guardrails): at it, under it, or above it holding it; needs an agent' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l oneline -d 'One line per entry: short id, version, message'
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l json -d 'Print JSON: {"entries": [{agent, version, change_track_id, parent, author, …}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l json -d 'Print JSON: {"agent", "ref", "fields": [{path, version, …}], "lines": {"instructions": […]}}'
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand blame" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l format -d 'Output format: side-by-side text, JSON, or markdown for a pull-request comment' -r -f -a "text\t''
json\t''
markdown\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l config -d 'Also print the whole snapshot'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l stat -d 'Only count the changes per section and list their paths, without values (as diff --stat)'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l unified -d 'Stacked view: the old value above the new one (the default below 80 columns)'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l json -d 'Same as --format json: the log entry plus `changes` (and `config` with --config)'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l unified -d 'Stacked view: the old value above the new one (the default below 80 columns)'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l json -d 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert-preview" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l unified -d 'Stacked view: the old value above the new one (the default below 80 columns)'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l json -d 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand revert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l unified -d 'Stacked view: the old value above the new one (the default below 80 columns)'
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l show-secrets -d 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l json -d 'Print JSON: `agent`, `restored`, `applied`, `written`'
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -l json -d 'Print JSON: `agent`, `undone`, `file`, `written`'
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand undo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l ref -d 'The publish to export: production, vN or a change_track_id prefix' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l format -d 'Output format' -r -f -a "yaml\t''
json\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -s o -l output -d 'Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -l json -d 'Print JSON: {"ok", "agents", "entries", "snapshots", "problems": [{agent, version, kind, message}]}'
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -f -a "copy" -d 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and not __fish_seen_subcommand_from copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
complete -c agentctl -n "__fish_agentctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l listen -d 'The address to listen on; port 0 picks a free port' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l token-file -d 'Require `Authorization: Bearer` with a token from this file (one `NAME:SECRET` or `SECRET` per line) [env: AGENTCTL_SERVE_TOKEN gives one token]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -s C -d 'Run as if started in DIR' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l store -d 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]' -r -F
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l color -d 'When to use colour [default: auto]' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it)'
always\t''
never\t''"
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l lock-timeout -d 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]' -r
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l read-only -d 'Answer 405 to every write'
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -l no-pager -d 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
complete -c agentctl -n "__fish_agentctl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "init" -d 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "new" -d 'Create agents/AGENT.yaml from a commented template holding every section'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "status" -d 'Show each agent\'s state: clean, modified, new, missing or invalid'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "validate" -d 'Check staging files: YAML syntax, types, required fields, unique names'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "diff" -d 'Show what differs between production and staging, field by field'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "publish" -d 'Make staging live: record a new production version for each agent that changed'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "log" -d 'Show the publish history, newest first'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "blame" -d 'Show which publish last changed each field of an agent: version, id, author and date'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "show" -d 'Show one publish: who, when, its message, and its changes against the publish before it'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "revert-preview" -d 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "revert" -d 'Take the changes of a past publish back out of staging (production is untouched)'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "restore" -d 'Set staging to a publish\'s snapshot (default production), discarding staging edits'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "undo" -d 'Put back a staging file as it was before the last `revert` or `restore`'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "export" -d 'Write production configs (or those of --ref) for deployment and integrations'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "schema" -d 'Print the JSON Schema (draft-07) of the agent file, for editors\' YAML language servers'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "completions" -d 'Print shell completions (bash, zsh, fish, powershell, elvish)'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "verify" -d 'Check the store\'s integrity: every snapshot hash and the hash chain of every history'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "store" -d 'Manage stores: copy a whole history between SQLite and PostgreSQL'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "serve" -d 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and not __fish_seen_subcommand_from init new status validate diff publish log blame show revert-preview revert restore undo export schema completions verify store serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentctl -n "__fish_agentctl_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "copy" -d 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
