
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'agentctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'agentctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'agentctl' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create agents/AGENT.yaml from a commented template holding every section')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each agent''s state: clean, modified, new, missing or invalid')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check staging files: YAML syntax, types, required fields, unique names')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what differs between production and staging, field by field')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Make staging live: record a new production version for each agent that changed')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show the publish history, newest first')
            [CompletionResult]::new('blame', 'blame', [CompletionResultType]::ParameterValue, 'Show which publish last changed each field of an agent: version, id, author and date')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one publish: who, when, its message, and its changes against the publish before it')
            [CompletionResult]::new('revert-preview', 'revert-preview', [CompletionResultType]::ParameterValue, 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts')
            [CompletionResult]::new('revert', 'revert', [CompletionResultType]::ParameterValue, 'Take the changes of a past publish back out of staging (production is untouched)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Set staging to a publish''s snapshot (default production), discarding staging edits')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Put back a staging file as it was before the last `revert` or `restore`')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write production configs (or those of --ref) for deployment and integrations')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema (draft-07) of the agent file, for editors'' YAML language servers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the store''s integrity: every snapshot hash and the hash chain of every history')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Manage stores: copy a whole history between SQLite and PostgreSQL')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentctl;init' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;new' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;status' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"agents": [{agent, state, format, production}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;validate' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"agents": [{agent, valid, format, errors: [{message, file, line, column}]}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;diff' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The old side: production, staging, vN or a change_track_id prefix')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The new side: production, staging, vN or a change_track_id prefix')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: side-by-side text, JSON, or markdown for a pull-request comment')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--stat', '--stat', [CompletionResultType]::ParameterName, 'Only count changes per section and list their paths, without values')
            [CompletionResult]::new('--exit-code', '--exit-code', [CompletionResultType]::ParameterName, 'Exit with 1 when there are differences, 0 when there are none')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Stacked view: the old value above the new one (the default below 80 columns)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json: {"agents": [{agent, from, to, has_changes, changes}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;publish' {
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The message recorded with the publish [default: a summary of the changes]')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The message recorded with the publish [default: a summary of the changes]')
            [CompletionResult]::new('--author', '--author', [CompletionResultType]::ParameterName, 'Who publishes [default: AGENTCTL_AUTHOR, the user config, git''s user, the login name]')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Publish only if production is still REF (one agent only); protects against publishing over a change you have not seen')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be published without recording anything')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"has_changes", "results": [{agent, has_changes, version, change_track_id, …}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;log' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show at most N entries')
            [CompletionResult]::new('--max-count', '--max-count', [CompletionResultType]::ParameterName, 'Show at most N entries')
            [CompletionResult]::new('--touching', '--touching', [CompletionResultType]::ParameterName, 'Only the entries whose changes touch PATH (model.temperature, tools[web_search], guardrails): at it, under it, or above it holding it; needs an agent')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--oneline', '--oneline', [CompletionResultType]::ParameterName, 'One line per entry: short id, version, message')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"entries": [{agent, version, change_track_id, parent, author, …}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;blame' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"agent", "ref", "fields": [{path, version, …}], "lines": {"instructions": […]}}')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format: side-by-side text, JSON, or markdown for a pull-request comment')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Also print the whole snapshot')
            [CompletionResult]::new('--stat', '--stat', [CompletionResultType]::ParameterName, 'Only count the changes per section and list their paths, without values (as diff --stat)')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Stacked view: the old value above the new one (the default below 80 columns)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Same as --format json: the log entry plus `changes` (and `config` with --config)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;revert-preview' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Stacked view: the old value above the new one (the default below 80 columns)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;revert' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Stacked view: the old value above the new one (the default below 80 columns)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: `agent`, `reverted`, `applied`, `conflicts`, `written`')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;restore' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Stacked view: the old value above the new one (the default below 80 columns)')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show secrets (values of keys such as api_key or token, and keys, tokens and URL passwords inside values) instead of ********')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: `agent`, `restored`, `applied`, `written`')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;undo' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: `agent`, `undone`, `file`, `written`')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;export' {
            [CompletionResult]::new('--ref', '--ref', [CompletionResultType]::ParameterName, 'The publish to export: production, vN or a change_track_id prefix')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;schema' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;completions' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;verify' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"ok", "agents", "entries", "snapshots", "problems": [{agent, version, kind, message}]}')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;store' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentctl;store;copy' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;store;help' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentctl;store;help;copy' {
            break
        }
        'agentctl;store;help;help' {
            break
        }
        'agentctl;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'The address to listen on; port 0 picks a free port')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'Require `Authorization: Bearer` with a token from this file (one `NAME:SECRET` or `SECRET` per line) [env: AGENTCTL_SERVE_TOKEN gives one token]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use instead of .agentctl/store.db: a SQLite file, or a postgres:// URL for a shared store [env: AGENTCTL_STORE]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour [default: auto]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'How long to wait for another agentctl writing to the store or rewriting staging files before giving up: `30s`, `500ms`, `2m` or seconds [default: 30s]')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Answer 405 to every write')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Never page long output [pager: AGENTCTL_PAGER, else PAGER, else `less -FRX`]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'agentctl;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a workspace: .agentctl/ holding an empty store, and agents/ for staging files')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Create agents/AGENT.yaml from a commented template holding every section')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show each agent''s state: clean, modified, new, missing or invalid')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check staging files: YAML syntax, types, required fields, unique names')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what differs between production and staging, field by field')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Make staging live: record a new production version for each agent that changed')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Show the publish history, newest first')
            [CompletionResult]::new('blame', 'blame', [CompletionResultType]::ParameterValue, 'Show which publish last changed each field of an agent: version, id, author and date')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one publish: who, when, its message, and its changes against the publish before it')
            [CompletionResult]::new('revert-preview', 'revert-preview', [CompletionResultType]::ParameterValue, 'Preview a revert: what `revert` would do to staging, side by side, and its conflicts')
            [CompletionResult]::new('revert', 'revert', [CompletionResultType]::ParameterValue, 'Take the changes of a past publish back out of staging (production is untouched)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Set staging to a publish''s snapshot (default production), discarding staging edits')
            [CompletionResult]::new('undo', 'undo', [CompletionResultType]::ParameterValue, 'Put back a staging file as it was before the last `revert` or `restore`')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write production configs (or those of --ref) for deployment and integrations')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema (draft-07) of the agent file, for editors'' YAML language servers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check the store''s integrity: every snapshot hash and the hash chain of every history')
            [CompletionResult]::new('store', 'store', [CompletionResultType]::ParameterValue, 'Manage stores: copy a whole history between SQLite and PostgreSQL')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the agents over HTTP: the JSON API (SPEC 12) and the review page at `/`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentctl;help;init' {
            break
        }
        'agentctl;help;new' {
            break
        }
        'agentctl;help;status' {
            break
        }
        'agentctl;help;validate' {
            break
        }
        'agentctl;help;diff' {
            break
        }
        'agentctl;help;publish' {
            break
        }
        'agentctl;help;log' {
            break
        }
        'agentctl;help;blame' {
            break
        }
        'agentctl;help;show' {
            break
        }
        'agentctl;help;revert-preview' {
            break
        }
        'agentctl;help;revert' {
            break
        }
        'agentctl;help;restore' {
            break
        }
        'agentctl;help;undo' {
            break
        }
        'agentctl;help;export' {
            break
        }
        'agentctl;help;schema' {
            break
        }
        'agentctl;help;completions' {
            break
        }
        'agentctl;help;verify' {
            break
        }
        'agentctl;help;store' {
            [CompletionResult]::new('copy', 'copy', [CompletionResultType]::ParameterValue, 'Copy a whole history from one store to another (SQLite ↔ PostgreSQL), every change_track_id kept, then verify the copy')
            break
        }
        'agentctl;help;store;copy' {
            break
        }
        'agentctl;help;serve' {
            break
        }
        'agentctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
