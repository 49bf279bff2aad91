
use builtin;
use str;

set edit:completion:arg-completer[agentctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'agentctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'agentctl'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files'
            cand new 'Create agents/AGENT.yaml from a commented template holding every section'
            cand status 'Show each agent''s state: clean, modified, new, missing or invalid'
            cand validate 'Check staging files: YAML syntax, types, required fields, unique names'
            cand diff 'Show what differs between production and staging, field by field'
            cand publish 'Make staging live: record a new production version for each agent that changed'
            cand log 'Show the publish history, newest first'
            cand blame 'Show which publish last changed each field of an agent: version, id, author and date'
            cand show 'Show one publish: who, when, its message, and its changes against the publish before it'
            cand revert-preview 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts'
            cand revert 'Take the changes of a past publish back out of staging (production is untouched)'
            cand restore 'Set staging to a publish''s snapshot (default production), discarding staging edits'
            cand undo 'Put back a staging file as it was before the last `revert` or `restore`'
            cand export 'Write production configs (or those of --ref) for deployment and integrations'
            cand schema 'Print the JSON Schema (draft-07) of the agent file, for editors'' YAML language servers'
            cand completions 'Print shell completions (bash, zsh, fish, powershell, elvish)'
            cand verify 'Check the store''s integrity: every snapshot hash and the hash chain of every history'
            cand store 'Manage stores: copy a whole history between SQLite and PostgreSQL'
            cand serve 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentctl;init'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;new'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;status'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --json 'Print JSON: {"agents": [{agent, state, format, production}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;validate'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --json 'Print JSON: {"agents": [{agent, valid, format, errors: [{message, file, line, column}]}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;diff'= {
            cand --from 'The old side: production, staging, vN or a change_track_id prefix'
            cand --to 'The new side: production, staging, vN or a change_track_id prefix'
            cand --format 'Output format: side-by-side text, JSON, or markdown for a pull-request comment'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --stat 'Only count changes per section and list their paths, without values'
            cand --exit-code 'Exit with 1 when there are differences, 0 when there are none'
            cand --unified 'Stacked view: the old value above the new one (the default below 80 columns)'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --json 'Same as --format json: {"agents": [{agent, from, to, has_changes, changes}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;publish'= {
            cand -m 'The message recorded with the publish [default: a summary of the changes]'
            cand --message 'The message recorded with the publish [default: a summary of the changes]'
            cand --author 'Who publishes [default: AGENTCTL_AUTHOR, the user config, git''s user, the login name]'
            cand --expect 'Publish only if production is still REF (one agent only); protects against publishing over a change you have not seen'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --dry-run 'Show what would be published without recording anything'
            cand --json 'Print JSON: {"has_changes", "results": [{agent, has_changes, version, change_track_id, …}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;log'= {
            cand -n 'Show at most N entries'
            cand --max-count 'Show at most N entries'
            cand --touching 'Only the entries whose changes touch PATH (model.temperature, tools[web_search], guardrails): at it, under it, or above it holding it; needs an agent'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --oneline 'One line per entry: short id, version, message'
            cand --json 'Print JSON: {"entries": [{agent, version, change_track_id, parent, author, …}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;blame'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --json 'Print JSON: {"agent", "ref", "fields": [{path, version, …}], "lines": {"instructions": […]}}'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;show'= {
            cand --format 'Output format: side-by-side text, JSON, or markdown for a pull-request comment'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --config 'Also print the whole snapshot'
            cand --stat 'Only count the changes per section and list their paths, without values (as diff --stat)'
            cand --unified 'Stacked view: the old value above the new one (the default below 80 columns)'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --json 'Same as --format json: the log entry plus `changes` (and `config` with --config)'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;revert-preview'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --unified 'Stacked view: the old value above the new one (the default below 80 columns)'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --json 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;revert'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --unified 'Stacked view: the old value above the new one (the default below 80 columns)'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --json 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;restore'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --unified 'Stacked view: the old value above the new one (the default below 80 columns)'
            cand --show-secrets 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********'
            cand --json 'Print JSON: `agent`, `restored`, `applied`, `written`'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;undo'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --json 'Print JSON: `agent`, `undone`, `file`, `written`'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;export'= {
            cand --ref 'The publish to export: production, vN or a change_track_id prefix'
            cand --format 'Output format'
            cand -o 'Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing'
            cand --output 'Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;schema'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;completions'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;verify'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --json 'Print JSON: {"ok", "agents", "entries", "snapshots", "problems": [{agent, version, kind, message}]}'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;store'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand copy 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentctl;store;copy'= {
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;store;help'= {
            cand copy 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentctl;store;help;copy'= {
        }
        &'agentctl;store;help;help'= {
        }
        &'agentctl;serve'= {
            cand --listen 'The address to listen on; port 0 picks a free port'
            cand --token-file 'Require `Authorization: Bearer` with a token from this file (one `NAME:SECRET` or `SECRET` per line) [env: AGENTCTL_SERVE_TOKEN gives one token]'
            cand -C 'Run as if started in DIR'
            cand --store 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]'
            cand --color 'When to use colour [default: auto]'
            cand --lock-timeout 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]'
            cand --read-only 'Answer 405 to every write'
            cand --no-pager 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'agentctl;help'= {
            cand init 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files'
            cand new 'Create agents/AGENT.yaml from a commented template holding every section'
            cand status 'Show each agent''s state: clean, modified, new, missing or invalid'
            cand validate 'Check staging files: YAML syntax, types, required fields, unique names'
            cand diff 'Show what differs between production and staging, field by field'
            cand publish 'Make staging live: record a new production version for each agent that changed'
            cand log 'Show the publish history, newest first'
            cand blame 'Show which publish last changed each field of an agent: version, id, author and date'
            cand show 'Show one publish: who, when, its message, and its changes against the publish before it'
            cand revert-preview 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts'
            cand revert 'Take the changes of a past publish back out of staging (production is untouched)'
            cand restore 'Set staging to a publish''s snapshot (default production), discarding staging edits'
            cand undo 'Put back a staging file as it was before the last `revert` or `restore`'
            cand export 'Write production configs (or those of --ref) for deployment and integrations'
            cand schema 'Print the JSON Schema (draft-07) of the agent file, for editors'' YAML language servers'
            cand completions 'Print shell completions (bash, zsh, fish, powershell, elvish)'
            cand verify 'Check the store''s integrity: every snapshot hash and the hash chain of every history'
            cand store 'Manage stores: copy a whole history between SQLite and PostgreSQL'
            cand serve 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentctl;help;init'= {
        }
        &'agentctl;help;new'= {
        }
        &'agentctl;help;status'= {
        }
        &'agentctl;help;validate'= {
        }
        &'agentctl;help;diff'= {
        }
        &'agentctl;help;publish'= {
        }
        &'agentctl;help;log'= {
        }
        &'agentctl;help;blame'= {
        }
        &'agentctl;help;show'= {
        }
        &'agentctl;help;revert-preview'= {
        }
        &'agentctl;help;revert'= {
        }
        &'agentctl;help;restore'= {
        }
        &'agentctl;help;undo'= {
        }
        &'agentctl;help;export'= {
        }
        &'agentctl;help;schema'= {
        }
        &'agentctl;help;completions'= {
        }
        &'agentctl;help;verify'= {
        }
        &'agentctl;help;store'= {
            cand copy 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy'
        }
        &'agentctl;help;store;copy'= {
        }
        &'agentctl;help;serve'= {
        }
        &'agentctl;help;help'= {
        }
    ]
    $completions[$command]
}
