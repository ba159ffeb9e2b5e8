//! Dependencies between sibling services (s6-rc's `dependencies` file): the
//! names a file lists, whether a dependency's record lets its dependents
//! start, and the cycles among services; and, reading the files, what a
//! service still waits for and what is wrong with its file.

use std::ffi::CStr;
use std::io::{self, Read};

use crate::dir::ServiceDir;
use crate::record::RunState;
use crate::wait::{look, Seen};

/// The file in a service directory that lists its dependencies.
pub const DEPENDENCIES: &CStr = c"dependencies";
/// The longest `dependencies` file used; a longer one is a mistake, warned
/// about, and the service waits (it cannot know what it needs).
pub const DEPENDENCIES_MAX: usize = 4096;

/// One line of a `dependencies` file that names no sibling service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadName<'a>(pub &'a [u8]);

/// The names in a `dependencies` file's `content`: one per line, blanks
/// around it trimmed; blank lines and lines whose first non-blank byte is
/// `#` skipped. A name must be a sibling directory's: not empty, no `/`,
/// not `.` or `..`, no NUL.
pub fn names(content: &[u8]) -> impl Iterator<Item = Result<&[u8], BadName<'_>>> {
    content.split(|&b| b == b'\n').map(<[u8]>::trim_ascii).filter(|l| !l.is_empty() && l[0] != b'#').map(|l| {
        let bad = l == b"." || l == b".." || l.iter().any(|&b| b == b'/' || b == 0);
        if bad {
            Err(BadName(l))
        } else {
            Ok(l)
        }
    })
}

/// Whether a dependency seen as `seen` lets its dependents start: a
/// one-shot job that is done, or a service up and ready, or up when it
/// declares no readiness (no `notification-fd`, `check`, `notify-socket`;
/// daemontools' and runit's records declare none).
pub fn lets_dependents_start(seen: &Seen) -> bool {
    let Seen::Record(st) = seen else { return false };
    let up = st.pid != 0 && st.state != RunState::Finish;
    match st.extras {
        None => up,
        Some(x) => x.oneshot == Some(true) || up && (x.ready || !x.declares_readiness),
    }
}

/// A cycle of dependencies through `start`, following `deps_of` (a
/// service's listed names; none for one that does not exist): the names
/// on it, from `start` to the one that depends on `start` again (`[start]`
/// alone if it depends on itself). Each service is visited once.
pub fn cycle_through(start: &[u8], mut deps_of: impl FnMut(&[u8]) -> Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    let mut visited: Vec<Vec<u8>> = vec![start.to_vec()];
    // Depth-first: each frame is a service on the path and its names left.
    let mut path: Vec<(Vec<u8>, Vec<Vec<u8>>)> = vec![(start.to_vec(), deps_of(start))];
    while let Some((_, left)) = path.last_mut() {
        let Some(next) = left.pop() else {
            path.pop();
            continue;
        };
        if next == start {
            return Some(path.into_iter().map(|(name, _)| name).collect());
        }
        if !visited.contains(&next) {
            visited.push(next.clone());
            let deps = deps_of(&next);
            path.push((next, deps));
        }
    }
    None
}

/// What a `dependencies` file lists: the sibling services' names, and
/// the lines that name none.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub names: Vec<Vec<u8>>,
    pub bad: Vec<Vec<u8>>,
}

/// Why a `dependencies` file could not be used.
#[derive(Debug)]
pub enum ListingError {
    Io(io::Error),
    /// Longer than [`DEPENDENCIES_MAX`].
    TooLong,
}

impl ListingError {
    /// `unable to read NAME/dependencies: ERR` and the like.
    pub fn message(&self, name: &[u8]) -> Vec<u8> {
        let file = DEPENDENCIES.to_bytes();
        match self {
            ListingError::Io(e) => [b"unable to read ", name, b"/", file, b": ", strerr::errstr(e).as_bytes()].concat(),
            ListingError::TooLong => [name, b"/", file, b" is longer than 4096 bytes"].concat(),
        }
    }
}

/// The `dependencies` file of `dir`: None when there is none (without
/// allocating: supervise checks it at every start of every service).
pub fn read_listing(dir: &ServiceDir) -> Result<Option<Listing>, ListingError> {
    let file = match dir.open_file(DEPENDENCIES, libc::O_RDONLY, 0) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ListingError::Io(e)),
    };
    let mut content = Vec::new();
    file.take(DEPENDENCIES_MAX as u64 + 1).read_to_end(&mut content).map_err(ListingError::Io)?;
    if content.len() > DEPENDENCIES_MAX {
        return Err(ListingError::TooLong);
    }
    let mut listing = Listing::default();
    for name in names(&content) {
        match name {
            Ok(n) if !listing.names.iter().any(|m| m == n) => listing.names.push(n.to_vec()),
            Ok(_) => {}
            Err(BadName(b)) => listing.bad.push(b.to_vec()),
        }
    }
    Ok(Some(listing))
}

/// The path of the sibling `name` of the service directory `base`.
fn sibling(base: &[u8], name: &[u8]) -> Vec<u8> {
    [base, b"/../", name].concat()
}

/// The names of `listing` that do not let the service in `base` start
/// yet: lines that name no sibling, siblings that do not exist or are not
/// supervised, and those not up and ready.
pub fn waiting_for(base: &[u8], listing: &Listing) -> Vec<Vec<u8>> {
    let blocks = |name: &&Vec<u8>| {
        let seen = ServiceDir::open(&sibling(base, name)).ok().and_then(|d| look(&d).ok());
        !seen.is_some_and(|s| lets_dependents_start(&s))
    };
    listing.bad.iter().chain(listing.names.iter().filter(blocks)).cloned().collect()
}

/// What is wrong with the `dependencies` of the service `me` in `base`,
/// one warning each: names of no sibling, of siblings that do not exist,
/// and a cycle through it.
pub fn problems(base: &[u8], me: &[u8], listing: &Listing) -> Vec<Vec<u8>> {
    let file = DEPENDENCIES.to_bytes();
    let mut out = Vec::new();
    for bad in &listing.bad {
        out.push([me, b"/", file, b": ", bad, b" is not the name of a sibling service: ", me, b" waits"].concat());
    }
    for name in &listing.names {
        if ServiceDir::open(&sibling(base, name)).is_err() {
            out.push([me, b"/", file, b" names ", name, b", which does not exist: ", me, b" waits"].concat());
        }
    }
    let deps_of = |name: &[u8]| {
        if name == me {
            return listing.names.clone();
        }
        let dir = ServiceDir::open(&sibling(base, name));
        dir.ok().and_then(|d| read_listing(&d).ok().flatten()).map_or(Vec::new(), |l| l.names)
    };
    match cycle_through(me, deps_of) {
        Some(cycle) if cycle.len() == 1 => out.push([me, b" depends on itself: it waits"].concat()),
        Some(cycle) => {
            let mut m = b"dependency cycle: ".to_vec();
            for name in &cycle {
                m.extend_from_slice(name);
                m.extend_from_slice(b" -> ");
            }
            m.extend_from_slice(me);
            m.extend_from_slice(b": ");
            m.extend_from_slice(me);
            m.extend_from_slice(b" waits");
            out.push(m);
        }
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Extras, Status};

    #[test]
    fn names_skip_comments_and_blanks_and_refuse_paths() {
        let content = b"# the database\ndb\n\n  setup  \n\t# indented comment\n../etc\n.\nlog/x\nweb\r\n";
        let got: Vec<_> = names(content).collect();
        assert_eq!(
            got,
            vec![
                Ok(&b"db"[..]),
                Ok(b"setup"),
                Err(BadName(b"../etc")),
                Err(BadName(b".")),
                Err(BadName(b"log/x")),
                Ok(b"web")
            ]
        );
        assert_eq!(names(b"").count(), 0);
        assert_eq!(names(b"a\0b").next(), Some(Err(BadName(b"a\0b"))));
    }

    fn record(pid: u32, extras: Option<Extras>) -> Seen {
        Seen::Record(Status {
            pid,
            state: if pid != 0 { RunState::Run } else { RunState::Down },
            extras,
            ..Status::default()
        })
    }

    #[test]
    fn who_lets_dependents_start() {
        let declared = |ready| Some(Extras { ready, declares_readiness: true, ..Extras::default() });
        let job =
            |done| Some(Extras { ready: done, oneshot: Some(done), declares_readiness: true, ..Extras::default() });
        let cases = [
            (Seen::Unsupervised, false),
            (Seen::Starting, false),
            (record(7, None), true),
            (record(0, None), false),
            (record(7, Some(Extras::default())), true),
            (record(7, declared(false)), false),
            (record(7, declared(true)), true),
            (record(0, declared(false)), false),
            (record(0, job(true)), true),
            (record(0, job(false)), false),
            (record(7, job(false)), false),
        ];
        for (seen, expected) in cases {
            assert_eq!(lets_dependents_start(&seen), expected, "{seen:?}");
        }
    }

    fn graph<'a>(edges: &'a [(&'a str, &'a [&'a str])]) -> impl FnMut(&[u8]) -> Vec<Vec<u8>> + 'a {
        move |name| {
            edges
                .iter()
                .find(|(n, _)| n.as_bytes() == name)
                .map_or(Vec::new(), |(_, d)| d.iter().map(|s| s.as_bytes().to_vec()).collect())
        }
    }

    fn strings(c: Option<Vec<Vec<u8>>>) -> Option<Vec<String>> {
        c.map(|c| c.into_iter().map(|n| String::from_utf8(n).unwrap()).collect())
    }

    #[test]
    fn cycles_are_found_with_their_names_and_chains_diamonds_are_not_cycles() {
        let chain: &[(&str, &[&str])] = &[("c", &["b"]), ("b", &["a"]), ("a", &[])];
        assert_eq!(cycle_through(b"c", graph(chain)), None);
        let diamond: &[(&str, &[&str])] = &[("d", &["b", "c"]), ("b", &["a"]), ("c", &["a"]), ("a", &[])];
        assert_eq!(cycle_through(b"d", graph(diamond)), None);
        let cycle: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("x", &["a"])];
        assert_eq!(strings(cycle_through(b"a", graph(cycle))), Some(vec!["a".into(), "b".into(), "c".into()]));
        assert_eq!(cycle_through(b"x", graph(cycle)), None, "x waits on a cycle but is not in it");
        let selfish: &[(&str, &[&str])] = &[("s", &["t", "s"])];
        assert_eq!(strings(cycle_through(b"s", graph(selfish))), Some(vec!["s".into()]));
        let missing: &[(&str, &[&str])] = &[("s", &["nowhere"])];
        assert_eq!(cycle_through(b"s", graph(missing)), None);
    }
}
