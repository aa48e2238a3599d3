//! `pyprune deps` on real stdlib files copied into a temp dir, asked with the
//! real interpreter: the static closure of `json` holds every module
//! `import json` really loads (built-in and frozen ones as such nodes), a
//! planted import appears, `--why` chains are edges of the graph, `--unused`
//! lists nothing imported, DOT is well formed, JSON carries what text shows.
//! Each check is a function that a planted fault makes fail.

use crate::harness::{TestEnv, pyprune, python3, stderr};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// What `import json` loads that the interpreter had not at start, with the
/// file each came from (`None`: built in or frozen), `tree` first on `sys.path`
/// (without site, which loads `re` and more on some installations).
fn really_imported(tree: &Path) -> BTreeMap<String, Option<PathBuf>> {
    let code = "import sys; sys.path.insert(0, sys.argv[1]); before = set(sys.modules); import json\n\
for name in sorted(set(sys.modules) - before):\n    \
    spec = getattr(sys.modules[name], '__spec__', None)\n    \
    origin = spec.origin if spec is not None and spec.has_location else ''\n    \
    print(name, origin)";
    let out = python3()
        .args(["-I", "-S", "-B", "-c", code])
        .arg(tree)
        .output()
        .expect("python3");
    name_origins(&out)
}

/// The `NAME ORIGIN` lines a successful run printed (an empty origin:
/// built in or frozen), by name.
pub fn name_origins(out: &std::process::Output) -> BTreeMap<String, Option<PathBuf>> {
    assert!(out.status.success(), "{}", stderr(out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let (name, origin) = line.split_once(' ').unwrap_or((line, ""));
            let origin = (!origin.is_empty()).then(|| PathBuf::from(origin));
            (name.to_owned(), origin)
        })
        .collect()
}

/// A stdlib-shaped tree (`os.py` is its landmark) holding the files of the
/// modules `import json` loads, each copied from the installed stdlib.
fn json_tree(env: &TestEnv) -> PathBuf {
    let tree = env.path().join("lib");
    let stdlib = crate::harness::stdlib();
    let mut files: BTreeSet<PathBuf> = really_imported(&stdlib)
        .into_values()
        .flatten()
        .filter_map(|origin| origin.strip_prefix(&stdlib).ok().map(Path::to_path_buf))
        .collect();
    files.insert("os.py".into());
    for rel in &files {
        let to = tree.join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(stdlib.join(rel), &to).expect("copy");
    }
    tree
}

/// `pyprune deps TREE --python python3 ARGS`, which must succeed: its stdout.
fn deps(tree: &Path, args: &[&str]) -> String {
    let out = pyprune()
        .arg("deps")
        .arg(tree)
        .args(["--python", "python3"])
        .args(args)
        .output()
        .expect("pyprune deps");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json_of(tree: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&deps(tree, &[args, &["--format", "json"]].concat())).expect("JSON")
}

fn names(modules: &Value) -> BTreeSet<String> {
    modules
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| m["name"].as_str().expect("name").to_owned())
        .collect()
}

/// What `real` (module: file or none) holds that `closure` (the JSON modules)
/// lacks, or holds with the wrong kind: a module without a file must be a
/// built-in or frozen node.
fn closure_misses(real: &BTreeMap<String, Option<PathBuf>>, closure: &Value) -> Vec<String> {
    let kinds: BTreeMap<String, String> = closure
        .as_array()
        .expect("modules")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().expect("name").to_owned(),
                m["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect();
    real.iter()
        .filter(|(name, origin)| match kinds.get(*name) {
            None => true,
            Some(kind) => origin.is_none() && kind != "builtin" && kind != "frozen",
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The edges of the whole graph (`deps --format json` without a question).
fn edges(graph: &Value) -> BTreeSet<(String, String, String)> {
    graph["graph"]
        .as_array()
        .expect("graph")
        .iter()
        .flat_map(|node| {
            let from = node["name"].as_str().expect("name").to_owned();
            node["imports"]
                .as_array()
                .expect("imports")
                .iter()
                .map(move |e| {
                    (
                        from.clone(),
                        e["module"].as_str().expect("module").to_owned(),
                        e["kind"].as_str().expect("kind").to_owned(),
                    )
                })
        })
        .collect()
}

/// The steps of `chains` (`--why`'s) that are no edge of the graph.
fn false_steps(chains: &Value, edges: &BTreeSet<(String, String, String)>) -> Vec<String> {
    let mut wrong = Vec::new();
    for chain in chains.as_array().expect("chains") {
        let modules: Vec<&str> = chain["modules"]
            .as_array()
            .expect("modules")
            .iter()
            .map(|m| m.as_str().expect("str"))
            .collect();
        let kinds: Vec<&str> = chain["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|m| m.as_str().expect("str"))
            .collect();
        for (pair, kind) in modules.windows(2).zip(&kinds) {
            if !edges.contains(&(pair[0].to_owned(), pair[1].to_owned(), (*kind).to_owned())) {
                wrong.push(format!("{} -[{kind}]-> {}", pair[0], pair[1]));
            }
        }
        if kinds.len() + 1 != modules.len() {
            wrong.push(format!("{modules:?}: {} edges", kinds.len()));
        }
    }
    wrong
}

/// The modules of `unused` that some edge leads to.
fn imported_yet_unused(
    unused: &BTreeSet<String>,
    edges: &BTreeSet<(String, String, String)>,
) -> Vec<String> {
    let targets: BTreeSet<&String> = edges.iter().map(|(_, to, _)| to).collect();
    unused
        .iter()
        .filter(|m| targets.contains(m))
        .cloned()
        .collect()
}

/// What is wrong with a DOT document's structure: one `digraph { ... }`,
/// every statement ends with `;`, every edge's ends declared as nodes.
fn dot_problems(dot: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = dot.lines().map(str::trim).collect();
    if lines.first() != Some(&"digraph imports {") || lines.last() != Some(&"}") {
        problems.push("not one digraph".to_owned());
    }
    let opens = dot.matches('{').count();
    if opens != dot.matches('}').count() {
        problems.push("unbalanced braces".to_owned());
    }
    let mut declared = BTreeSet::new();
    let mut ends = BTreeSet::new();
    for line in &lines[1..lines.len().saturating_sub(1)] {
        if line.ends_with('{') || *line == "}" {
            continue;
        }
        if !line.ends_with(';') {
            problems.push(format!("no `;`: {line}"));
        }
        let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        if line.contains(" -> ") {
            ends.extend(quoted.iter().take(2).map(|s| (*s).to_owned()));
        } else if line.contains("[label=") && !line.starts_with("label") {
            declared.insert(quoted[0].to_owned());
        }
    }
    problems.extend(
        ends.difference(&declared)
            .map(|n| format!("undeclared node {n}")),
    );
    problems
}

#[test]
fn deps_answers_from_real_stdlib_files() {
    let env = TestEnv::new();
    let tree = json_tree(&env);
    let real = really_imported(&tree);
    assert!(
        real.contains_key("json.decoder") && real.contains_key("re"),
        "{real:?}"
    );

    // The closure holds every module really imported.
    let closure = json_of(&tree, &["--closure", "json"]);
    let modules = &closure["closure"]["modules"];
    assert_eq!(closure_misses(&real, modules), Vec::<String>::new());
    // (The check sees a module it lacks, and a file-less module of the wrong kind.)
    let mut planted = real.clone();
    planted.insert("hidden".to_owned(), Some(PathBuf::from("hidden.py")));
    planted.insert("json".to_owned(), None);
    assert_eq!(closure_misses(&planted, modules), ["hidden", "json"]);
    // Sizes: the disk bytes of the files each module lists, counted here.
    let mut bytes = 0;
    for module in modules.as_array().expect("modules") {
        for file in module["files"].as_array().expect("files") {
            bytes += std::fs::metadata(tree.join(file.as_str().expect("str")))
                .expect("file")
                .blocks()
                * 512;
        }
    }
    assert_eq!(closure["closure"]["disk_bytes"], bytes);
    assert!(bytes > 0);

    // --why's chains are edges of the graph.
    let graph = json_of(&tree, &[]);
    let all_edges = edges(&graph);
    let why = json_of(&tree, &["--why", "re"]);
    let chains = &why["why"]["chains"];
    assert!(
        chains
            .as_array()
            .expect("chains")
            .iter()
            .any(|c| c["modules"][0] == "json.decoder"),
        "{chains}"
    );
    assert_eq!(false_steps(chains, &all_edges), Vec::<String>::new());
    let fake = serde_json::json!([{"modules": ["json", "re"], "edges": ["lazy"]}]);
    assert_eq!(false_steps(&fake, &all_edges), ["json -[lazy]-> re"]);

    // --unused lists nothing that is imported.
    let unused = names(&json_of(&tree, &["--unused"])["unused"]["modules"]);
    assert!(unused.contains("json") || real.contains_key("json"));
    assert_eq!(
        imported_yet_unused(&unused, &all_edges),
        Vec::<String>::new()
    );
    let mut planted = unused.clone();
    planted.insert("json.decoder".to_owned());
    assert_eq!(imported_yet_unused(&planted, &all_edges), ["json.decoder"]);

    // DOT is well formed (`dot` itself may be missing), and a fault shows.
    let dot = deps(&tree, &["--closure", "json", "--format", "dot"]);
    assert_eq!(dot_problems(&dot), Vec::<String>::new(), "{dot}");
    assert!(dot.contains("\"json.decoder\" -> \"re\""), "{dot}");
    let truncated: String = dot
        .lines()
        .filter(|l| !l.contains("\"re\" [label"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(dot_problems(&truncated), ["undeclared node re"]);

    // Text shows what JSON carries: the count, and the modules it lists.
    let text = deps(&tree, &["--closure", "json", "--limit", "1000"]);
    let count = modules.as_array().expect("modules").len();
    assert!(
        text.contains(&format!("Closure of json (all edges): {count} modules")),
        "{text}"
    );
    let listed: BTreeSet<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Closure of"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(listed, names(modules));

    // A planted import of a new module is an edge, and in the closure.
    std::fs::write(tree.join("planted_mod.py"), "").expect("write");
    let init = tree.join("json").join("__init__.py");
    let mut source = std::fs::read_to_string(&init).expect("read");
    source.push_str("\nimport planted_mod\n");
    std::fs::write(&init, source).expect("write");
    let closure =
        names(&json_of(&tree, &["--closure", "json", "--hard-only"])["closure"]["modules"]);
    assert!(closure.contains("planted_mod"), "{closure:?}");
    assert!(edges(&json_of(&tree, &[])).contains(&(
        "json".into(),
        "planted_mod".into(),
        "hard".into()
    )));
}
