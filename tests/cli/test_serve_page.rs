//! The review page of `agentctl serve` (SPEC 12) through the real binary on a free loopback
//! port: every page route's success and error paths, forms posted as a browser posts them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use ureq::http::Response;

use crate::common::{TestEnv, agent_yaml, agentctl, on_both_stores};

on_both_stores!(
    the_index_lists_every_agent_and_its_state,
    the_agent_page_shows_only_the_differences_side_by_side,
    the_page_reads_the_files_on_every_request,
    publishing_from_the_page_records_the_message_and_redirects,
    a_publish_over_a_production_the_page_did_not_show_is_412,
    the_revert_preview_and_the_revert_button,
    a_conflicting_revert_is_409_and_writes_nothing,
    bad_ids_and_refs_are_pages_with_their_status,
    an_invalid_staging_file_is_422_on_the_page_and_for_publish,
    writes_from_a_foreign_origin_or_a_read_only_server_are_refused,
    a_server_that_needs_a_token_shows_no_forms_and_refuses_page_posts
);

/// `agentctl serve --listen 127.0.0.1:0 ARGS` in the workspace, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Server {
    fn start(env: &TestEnv, args: &[&str]) -> Server {
        let mut child = env
            .std_command(agentctl())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("agentctl serve starts");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(address) = line.strip_prefix("Listening on ") {
                        break address.trim().to_owned();
                    }
                    seen.push_str(&line);
                    seen.push('\n');
                }
                _ => panic!("agentctl serve stopped before listening:\n{seen}"),
            }
        };
        // Keep reading stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Server { child, base, agent }
    }

    fn get(&self, path: &str) -> Page {
        self.get_as(path, None)
    }

    /// A GET with `Authorization: Bearer <token>` when a token is given.
    fn get_as(&self, path: &str, token: Option<&str>) -> Page {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        Page::of(request.call().unwrap())
    }

    /// A form post from the page's own origin, as a browser sends it.
    fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let origin = self.base.clone();
        self.post_from(&origin, path, form)
    }

    fn post_from(&self, origin: &str, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Origin", origin)
            .send_form(form.iter().copied())
            .unwrap();
        Page::of(response)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Page {
    status: u16,
    content_type: String,
    location: Option<String>,
    connection: Option<String>,
    body: String,
}

impl Page {
    fn of(mut response: Response<ureq::Body>) -> Page {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let location = header("location");
        let connection = header("connection");
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap();
        Page {
            status,
            content_type,
            location,
            connection,
            body,
        }
    }

    #[track_caller]
    fn status(&self, expected: u16) -> &Page {
        assert_eq!(self.status, expected, "{}", self.body);
        if expected != 303 {
            assert!(
                self.content_type.starts_with("text/html"),
                "not a page: {self:?}"
            );
        }
        self
    }

    #[track_caller]
    fn has(&self, needle: &str) -> &Page {
        assert!(
            self.body.contains(needle),
            "lacks {needle:?}:\n{}",
            self.body
        );
        self
    }

    #[track_caller]
    fn lacks(&self, needle: &str) -> &Page {
        assert!(
            !self.body.contains(needle),
            "has {needle:?}:\n{}",
            self.body
        );
        self
    }

    /// A redirect (303, POST-redirect-GET) and where to.
    #[track_caller]
    fn redirects_to(&self, expected: &str) {
        assert_eq!(self.status, 303, "{}", self.body);
        assert_eq!(self.location.as_deref(), Some(expected));
    }
}

fn publish(env: &TestEnv, agent: &str, message: &str) -> String {
    let published = env.publish_json(&[agent, "-m", message]);
    published["results"][0]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn the_index_lists_every_agent_and_its_state(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.4));
    env.write_agent("new-bot", &agent_yaml("New", 0.2));
    let server = Server::start(&env, &[]);
    server
        .get("/")
        .status(200)
        .has("<!DOCTYPE html>")
        .has(r#"<a href="/agents/support-bot">support-bot</a>"#)
        .has(r#"<span class="state state-modified">modified</span>"#)
        .has(r#"<a href="/agents/new-bot">new-bot</a>"#)
        .has(r#"<span class="state state-new">new</span>"#)
        .has("never published")
        .has("v1 · ");
}

fn the_agent_page_shows_only_the_differences_side_by_side(env: TestEnv) {
    let yaml = agent_yaml("Support", 0.2).replace(
        "  temperature: 0.2\n",
        "  temperature: 0.2\n  api_key: sk-live-old-0000\n",
    );
    env.write_agent("support-bot", &yaml);
    publish(&env, "support-bot", "first");
    let edited = yaml
        .replace("Be brief.", "Be very brief.")
        .replace("sk-live-old-0000", "sk-live-new-1111")
        .replace("temperature: 0.2", "temperature: 0.7");
    env.write_agent("support-bot", &edited);
    let server = Server::start(&env, &[]);
    let page = server.get("/agents/support-bot");
    page.status(200)
        .has("Production")
        .has("Staging")
        .has("<code>model.temperature</code>")
        .has(r#"<pre class="cell old">0.2</pre>"#)
        .has(r#"<pre class="cell new">0.7</pre>"#)
        // The changed word is marked, on its side.
        .has("<ins>very </ins>")
        // Only differences: an unchanged field is not shown.
        .lacks("model.provider")
        .lacks("Helps with tests")
        // Secrets are masked, as in every human view.
        .lacks("sk-live-old-0000")
        .lacks("sk-live-new-1111")
        .has("********")
        .has(r#"action="/agents/support-bot/publish""#)
        .has("History");
    // Exactly the changes of `diff --json`.
    let diff = env.run(&["diff", "support-bot", "--json"]);
    diff.success();
    for change in diff.json()["agents"][0]["changes"].as_array().unwrap() {
        let path = change["path"].as_str().unwrap();
        page.has(&format!("<code>{path}</code>"));
    }
}

fn the_page_reads_the_files_on_every_request(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    let server = Server::start(&env, &[]);
    server
        .get("/agents/support-bot")
        .status(200)
        .has("nothing to publish")
        .lacks(r#"action="/agents/support-bot/publish""#);
    env.write_agent("support-bot", &agent_yaml("Support", 0.55));
    server
        .get("/agents/support-bot")
        .status(200)
        .has(r#"<pre class="cell new">0.55</pre>"#);
    env.write_agent("later-bot", &agent_yaml("Later", 0.1));
    server.get("/").status(200).has("later-bot");
    server
        .get("/")
        .status(200)
        .has(r#"<span class="state state-modified">modified</span>"#)
        .has("v1 · ");
    // A publish by the CLI shows at once too, on the index and the agent's page (read from
    // the stores the server keeps open between requests, which must not hold on to the old
    // production).
    publish(&env, "support-bot", "from the command line");
    server
        .get("/agents/support-bot")
        .status(200)
        .has("from the command line")
        .has("nothing to publish");
    server
        .get("/")
        .status(200)
        .lacks(r#"<span class="state state-modified">modified</span>"#)
        .has("v2 · ");
}

fn publishing_from_the_page_records_the_message_and_redirects(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    let first = publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.3));
    let server = Server::start(&env, &[]);
    server
        .get("/agents/support-bot")
        .status(200)
        .has(&format!(r#"name="expect" value="{first}""#));
    server
        .post(
            "/agents/support-bot/publish",
            &[("message", "Warmer <answers>"), ("expect", &first)],
        )
        .redirects_to("/agents/support-bot?published=v2");
    let entries = env.log_entries(&["support-bot"]);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["message"], "Warmer <answers>");
    assert_eq!(entries[0]["version"], 2);
    server
        .get("/agents/support-bot?published=v2")
        .status(200)
        .has("Published v2.")
        .has("Warmer &lt;answers&gt;")
        .has("Test Author")
        .has("nothing to publish");
    // Nothing to publish: no entry, and the page says so.
    server
        .post("/agents/support-bot/publish", &[("message", "again")])
        .redirects_to("/agents/support-bot?unchanged=1");
    assert_eq!(env.history_len(Some("support-bot")), 2);
    server
        .get("/agents/support-bot?unchanged=1")
        .status(200)
        .has("Nothing to publish: staging matches production.");
    // An empty message gets the generated one, as `publish` without -m.
    env.write_agent("support-bot", &agent_yaml("Support", 0.4));
    server
        .post("/agents/support-bot/publish", &[("message", "  ")])
        .redirects_to("/agents/support-bot?published=v3");
    let entries = env.log_entries(&["support-bot"]);
    assert_eq!(entries[0]["message"], "Update settings", "{entries:?}");
    // A notice is only ever a version: free text in the query is not shown.
    server
        .get("/agents/support-bot?published=%3Cb%3Ehi%3C%2Fb%3E")
        .status(200)
        .lacks("<b>hi</b>")
        .lacks(r#"class="notice""#);
}

fn a_publish_over_a_production_the_page_did_not_show_is_412(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    let first = publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.3));
    publish(&env, "support-bot", "someone else's");
    env.write_agent("support-bot", &agent_yaml("Support", 0.4));
    let server = Server::start(&env, &[]);
    server
        .post(
            "/agents/support-bot/publish",
            &[("message", "mine"), ("expect", &first)],
        )
        .status(412)
        .has("nothing was published")
        .has("reload the page");
    assert_eq!(env.history_len(Some("support-bot")), 2);
}

fn the_revert_preview_and_the_revert_button(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.9));
    let second = publish(&env, "support-bot", "warmer");
    let yaml = agent_yaml("Support", 0.9).replace("Be brief.", "Be kind.");
    let file = env.write_agent("support-bot", &yaml);
    publish(&env, "support-bot", "kinder");
    let server = Server::start(&env, &[]);
    let page = server.get("/agents/support-bot");
    page.status(200)
        .has(&format!(r#"href="/agents/support-bot/revert/{second}""#))
        .has("warmer")
        .has("kinder");
    // The first publish cannot be reverted: no link to a preview.
    let first_id = env.log_entries(&["support-bot"])[2]["change_track_id"]
        .as_str()
        .unwrap()
        .to_owned();
    page.lacks(&format!("/revert/{first_id}"));

    let before = std::fs::read_to_string(&file).unwrap();
    let store = env.store_state();
    for reference in [second.as_str(), "v2", &second[..8]] {
        server
            .get(&format!("/agents/support-bot/revert/{reference}"))
            .status(200)
            .has("Revert v2 of")
            .has("Staging after revert")
            .has(r#"<pre class="cell old">0.9</pre>"#)
            .has(r#"<pre class="cell new">0.2</pre>"#)
            .has(&format!(r#"name="change_track_id" value="{second}""#))
            .lacks("Conflicts");
    }
    // The preview wrote nothing.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert_eq!(env.store_state(), store);

    server
        .post(
            "/agents/support-bot/revert",
            &[("change_track_id", &second)],
        )
        .redirects_to("/agents/support-bot?reverted=v2");
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.contains("temperature: 0.2"), "{after}");
    assert!(after.contains("Be kind."), "{after}");
    // Production is untouched until a publish.
    assert_eq!(env.history_len(Some("support-bot")), 3);
    server
        .get("/agents/support-bot?reverted=v2")
        .status(200)
        .has("Reverted v2 in staging")
        .has(r#"<pre class="cell new">0.2</pre>"#);
    // Again: nothing left to revert.
    server
        .post(
            "/agents/support-bot/revert",
            &[("change_track_id", &second)],
        )
        .redirects_to("/agents/support-bot?nothing_reverted=v2");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), after);
}

fn a_conflicting_revert_is_409_and_writes_nothing(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.9));
    let second = publish(&env, "support-bot", "warmer");
    let file = env.write_agent("support-bot", &agent_yaml("Support", 0.5));
    let server = Server::start(&env, &[]);
    server
        .get("/agents/support-bot/revert/v2")
        .status(200)
        .has("Conflicts")
        .has("v2 set")
        .has("staging holds")
        .has("revert would set")
        .has("Resolve the conflicts")
        .lacks("changes nothing")
        .lacks("Revert v2 in staging</button>");
    let before = std::fs::read_to_string(&file).unwrap();
    server
        .post(
            "/agents/support-bot/revert",
            &[("change_track_id", &second)],
        )
        .status(409)
        .has("Conflicts")
        .has("model.temperature");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

fn bad_ids_and_refs_are_pages_with_their_status(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.3));
    publish(&env, "support-bot", "second");
    // A file outside agents/ is never reached.
    std::fs::write(env.root.join("secret.yaml"), agent_yaml("Outside", 0.1)).unwrap();
    let server = Server::start(&env, &[]);
    for path in [
        "/agents/..%2Fsecret",
        "/agents/.hidden",
        "/agents/a%20b",
        "/agents/%2e%2e",
        "/agents/..%2Fsecret/revert/v1",
    ] {
        server
            .get(path)
            .status(400)
            .has("not a valid agent id")
            .lacks("Outside");
    }
    server
        .get("/agents/nobody")
        .status(404)
        .has("unknown agent `nobody`");
    server.get("/agents/nobody/revert/v1").status(404);
    server
        .get("/agents/support-bot/revert/..%2F..%2Fsecret")
        .status(400)
        .has("not a reference to a publish");
    server
        .get("/agents/support-bot/revert/not-a-ref")
        .status(400)
        .has("not a reference to a publish");
    server
        .get("/agents/support-bot/revert/staging")
        .status(400)
        .has("staging is not a publish");
    server
        .get("/agents/support-bot/revert/v9")
        .status(404)
        .has("no publish of support-bot matches `v9`");
    server
        .get("/agents/support-bot/revert/v1")
        .status(400)
        .has("reverting it would leave nothing");
    server.get("/no/such/page").status_is(404);
    // Forms that are not forms, or lack their field.
    let page = server.post("/agents/support-bot/revert", &[]);
    assert!(
        (400..500).contains(&page.status),
        "{}: {}",
        page.status,
        page.body
    );
    let page = server.post("/agents/nobody/publish", &[("message", "x")]);
    page.status(404);
    server
        .post("/agents/..%2Fsecret/publish", &[("message", "x")])
        .status(400);
    server
        .post("/agents/support-bot/revert", &[("change_track_id", "v1")])
        .status(400);
    assert_eq!(env.history_len(Some("support-bot")), 2);
    // A deleted staging file: the page says so, and neither publish nor revert writes.
    std::fs::remove_file(env.root.join("agents/support-bot.yaml")).unwrap();
    server
        .get("/agents/support-bot")
        .status(200)
        .has("state-missing")
        .has("is missing")
        .lacks(r#"action="/agents/support-bot/publish""#);
    server
        .post("/agents/support-bot/publish", &[("message", "x")])
        .status(409);
    server.get("/agents/support-bot/revert/v2").status(409);
    assert_eq!(env.history_len(Some("support-bot")), 2);
}

impl Page {
    /// The status alone, whatever answered (the router's own 404 has no body).
    #[track_caller]
    fn status_is(&self, expected: u16) {
        assert_eq!(self.status, expected, "{}", self.body);
    }
}

fn an_invalid_staging_file_is_422_on_the_page_and_for_publish(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", "name: Support\nmodel: [unclosed\n");
    let server = Server::start(&env, &[]);
    server.get("/").status(200).has("state-invalid");
    server
        .get("/agents/support-bot")
        .status(422)
        .has("agents/support-bot.yaml:")
        .has("History")
        .has("first")
        .lacks(r#"action="/agents/support-bot/publish""#);
    server
        .post("/agents/support-bot/publish", &[("message", "broken")])
        .status(422)
        .has("agents/support-bot.yaml:");
    assert_eq!(env.history_len(Some("support-bot")), 1);
}

fn writes_from_a_foreign_origin_or_a_read_only_server_are_refused(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.3));
    let server = Server::start(&env, &[]);
    let page = server.post_from(
        "http://evil.example",
        "/agents/support-bot/publish",
        &[("message", "from elsewhere")],
    );
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(env.history_len(Some("support-bot")), 1);
    drop(server);

    let server = Server::start(&env, &["--read-only"]);
    server
        .get("/agents/support-bot")
        .status(200)
        .has(r#"<pre class="cell new">0.3</pre>"#)
        .lacks("<form");
    let page = server.post("/agents/support-bot/publish", &[("message", "x")]);
    assert_eq!(page.status, 405, "{}", page.body);
    assert_eq!(env.history_len(Some("support-bot")), 1);
}

fn a_server_that_needs_a_token_shows_no_forms_and_refuses_page_posts(env: TestEnv) {
    env.write_agent("support-bot", &agent_yaml("Support", 0.2));
    publish(&env, "support-bot", "first");
    env.write_agent("support-bot", &agent_yaml("Support", 0.9));
    publish(&env, "support-bot", "second");
    env.write_agent("support-bot", &agent_yaml("Support", 0.3));
    let tokens = env.tmp.path().join("tokens");
    std::fs::write(&tokens, "ci:s3cret\n").unwrap();
    let server = Server::start(&env, &["--token-file", tokens.to_str().unwrap()]);
    // Without the token the page shows nothing: it holds every agent's changes and history.
    for path in ["/", "/agents/support-bot", "/agents/support-bot/revert/v2"] {
        let page = server.get(path);
        assert_eq!(page.status, 401, "{path}: {page:?}");
    }
    let post = server.post("/agents/support-bot/publish", &[("message", "x")]);
    assert_eq!(post.status, 401, "{post:?}");
    // Its body was never read, so the connection is not kept for the next request.
    assert_eq!(post.connection.as_deref(), Some("close"), "{post:?}");
    // With it (a proxy adding the header), the page reads, but a browser's form cannot carry
    // a bearer token: no forms, and posts are refused.
    server
        .get_as("/agents/support-bot", Some("s3cret"))
        .status(200)
        .lacks("<form");
    server
        .get_as("/agents/support-bot/revert/v2", Some("s3cret"))
        .status(200)
        .lacks("<form");
    assert_eq!(env.history_len(Some("support-bot")), 2);
}
