//! What is refused from the source text before parsing: tags yaml_serde would drop, and flow
//! nesting (`[[[[…`) deeper than the limit, which libyaml scans in quadratic time (100,000
//! levels took 40 s) before yaml_serde's own depth limit is reached.
//!
//! yaml_serde hands our visitors local tags (`!custom`) but silently drops every tag written as
//! a URI: `!!python/object:os.system`, `!!binary`, `!<tag:example.com,2024:x>`, and anything
//! behind a `%TAG` directive would quietly become plain text or a plain mapping. So the source
//! is scanned for tags before parsing. The scan knows enough YAML to avoid prose: it skips
//! comments, quoted strings and block scalars (`|`, `>`), and takes `!` as a tag only where a
//! node can start (at the start of a line, or after `key:`, `- `, `? `, `[`, `{` or `,`).

/// YAML's core tags, the only ones allowed beside local ones (which yaml_serde refuses itself).
const CORE: [&str; 7] = ["str", "int", "float", "bool", "null", "map", "seq"];

/// The first tag, directive or flow nesting that is refused: (line, column, message), 1-based.
pub(super) fn refused(text: &str) -> Option<(usize, usize, String)> {
    let mut quote: Option<char> = None;
    // How many flow collections (`[`, `{`) are open.
    let mut flow = 0usize;
    // Inside a block scalar: the indentation its parent line had.
    let mut block: Option<usize> = None;
    for (index, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        if quote.is_none() && line.starts_with("%TAG") {
            return Some((
                index + 1,
                1,
                "the %TAG directive is not supported: it would change what tags mean".into(),
            ));
        }
        // The last character that was not a space, in this line, outside quotes.
        let mut before: Option<char> = None;
        let mut chars = line.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if let Some(open) = quote {
                match (open, c) {
                    ('"', '\\') => {
                        chars.next();
                    }
                    ('\'', '\'') if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                        chars.next();
                    }
                    (open, c) if open == c => {
                        quote = None;
                        before = Some(c);
                    }
                    _ => {}
                }
                continue;
            }
            if c == ' ' || c == '\t' {
                continue;
            }
            let spaced = at == 0 || line[..at].ends_with([' ', '\t']);
            // Where a node may start: `!`, quotes and block indicators mean something only here.
            let node_start = match before {
                None => true,
                Some(':' | '-' | '?') => spaced,
                Some('[' | '{' | ',') => true,
                _ => false,
            };
            match c {
                '[' | '{' if node_start || flow > 0 => {
                    flow += 1;
                    if flow > super::MAX_DEPTH {
                        let column = line[..at].chars().count() + 1;
                        return Some((
                            index + 1,
                            column,
                            format!("nesting is deeper than {} levels", super::MAX_DEPTH),
                        ));
                    }
                }
                ']' | '}' if flow > 0 => flow -= 1,
                '#' if spaced => break,
                '"' | '\'' if node_start => quote = Some(c),
                '|' | '>' if node_start && flow == 0 => {
                    block = Some(indent);
                    break;
                }
                '!' if node_start => {
                    let rest = &line[at..];
                    // A verbatim tag `!<…>` may hold commas; others end at flow indicators.
                    let token: String = match rest.strip_prefix("!<") {
                        Some(verbatim) => match verbatim.find('>') {
                            Some(end) => rest[..end + 3].to_owned(),
                            None => rest.to_owned(),
                        },
                        None => rest
                            .chars()
                            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
                            .collect(),
                    };
                    if let Some(message) = check(&token) {
                        let column = line[..at].chars().count() + 1;
                        return Some((index + 1, column, message));
                    }
                    // Skip the tag itself; the node after it may start right away.
                    for _ in 1..token.chars().count() {
                        chars.next();
                    }
                    continue;
                }
                _ => {}
            }
            before = Some(c);
        }
    }
    None
}

/// Why a tag token is refused, or `None` when it is allowed.
fn check(token: &str) -> Option<String> {
    let allowed = match token.strip_prefix("!!") {
        Some(name) => CORE.contains(&name),
        None => match token.strip_prefix("!<") {
            Some(verbatim) => verbatim
                .strip_prefix("tag:yaml.org,2002:")
                .and_then(|rest| rest.strip_suffix('>'))
                .is_some_and(|name| CORE.contains(&name)),
            // `!` alone (non-specific) and local `!name` tags; a named handle `!x!y` only
            // means something with %TAG, which is refused.
            None => !token[1..].contains('!'),
        },
    };
    (!allowed).then(|| {
        format!(
            "the tag `{token}` is not supported; only YAML's core tags (!!str, !!int, !!float, \
             !!bool, !!null, !!map, !!seq) are allowed"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::refused;

    fn at(text: &str) -> Option<(usize, usize)> {
        refused(text).map(|(line, column, _)| (line, column))
    }

    #[test]
    fn finds_tags_where_nodes_start() {
        assert_eq!(at("a: !!binary x\n"), Some((1, 4)));
        assert_eq!(at("a:\n  - !!python/object:os.system [ls]\n"), Some((2, 5)));
        assert_eq!(at("a: [1, !!set {}]\n"), Some((1, 8)));
        assert_eq!(at("a: {k: !<tag:example.com,2024:x> 1}\n"), Some((1, 8)));
        assert_eq!(at("a: !e!thing 1\n"), Some((1, 4)));
        assert_eq!(at("!!omap\n- a: 1\n"), Some((1, 1)));
        assert_eq!(at("? !!timestamp 2020-01-01\n: x\n"), Some((1, 3)));
        assert_eq!(
            at("%TAG !e! tag:example.com,2024:\n---\na: 1\n"),
            Some((1, 1))
        );
    }

    #[test]
    fn refuses_deep_flow_nesting_but_not_brackets_in_prose() {
        let deep = format!("a: {}{}\n", "[".repeat(129), "]".repeat(129));
        assert_eq!(at(&deep), Some((1, 132)));
        let mixed = format!("a: {}1{}\n", "{b: [".repeat(65), "]}".repeat(65));
        assert_eq!(at(&mixed).map(|(line, _)| line), Some(1));
        let fine = format!("a: {}{}\n", "[".repeat(128), "]".repeat(128));
        assert_eq!(at(&fine), None);
        let prose: String = (0..300).map(|i| format!("k{i}: see [note {i}\n")).collect();
        assert_eq!(at(&prose), None);
        assert_eq!(at("a: '[[[['\nb: \"{{{{\"\n# [[[[\n"), None);
    }

    #[test]
    fn allows_core_tags_and_prose() {
        for text in [
            "a: !!str 1\nb: !!int 2\nc: !!map {}\nd: !!seq []\n",
            "a: !<tag:yaml.org,2002:str> 12\n",
            "a: !local x\n",
            "a: ! x\n",
            "a: say !!binary loudly\n",
            "a: wow!!binary\n",
            "a: 'quoted !!binary'\n",
            "a: \"quoted \\\" !!binary\"\n",
            "a: 'it''s !!binary'\n",
            "a: \"multi\n  line !!binary\"\n",
            "a: x # comment !!binary\n",
            "# !!binary\na: 1\n",
            "a: |\n  !!binary in a block\n  - !!python/object x\n\n  more\nb: 1\n",
            "- >-\n  !!set folded\n- x\n",
            "a: don't !!binary\n",
        ] {
            assert_eq!(refused(text), None, "{text}");
        }
        // After a block scalar ends, scanning resumes.
        assert_eq!(at("a: |\n  !!binary\nb: !!binary x\n"), Some((3, 4)));
    }
}
