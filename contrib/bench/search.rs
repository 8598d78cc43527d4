//! The search benchmark: fills a database with a large installation's worth of tickets and
//! times ten representative queries through the same code `tkt search` and `tkt report`
//! run (`Db::search`, `Db::report`, `Db::content_search`, with a staff member's rights).
//!
//! cargo bench --bench search -- --tickets 1000000
//!
//! The data: 50 queues, 200 staff, 100,000 requestors, and per ticket a Create and on
//! average four more transactions (replies and comments) whose text draws words from a
//! 20,000-word vocabulary with Zipf frequencies (rank r has weight 1/r), as English does.
//! Everything goes through the store's own insert functions, so the full-text index,
//! triggers and indexes are those of a real installation. `--data-dir DIR` keeps the database
//! (and reuses it when it exists), since generating a million tickets takes a while.
//!
//! `--database-url URL` does the same on PostgreSQL: the database the URL names is created
//! (C collation) if it is not there, filled if it is empty, and reused if it has been
//! filled before; after filling, `VACUUM ANALYZE` runs, as an admin would after a bulk load.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use ticketd::rights::Viewer;
use ticketd::search::{Query, fts_query, parse, parse_grouping};
use ticketd::store::{Location, NewTicket, NewTransaction, Reader, Store, compile_query, sql};
use ticketd::ticket::{Lifecycle, Role, Status, Timestamp, TransactionKind};

/// The bench's command line (after `cargo bench --bench search --`).
#[derive(Debug, Parser)]
#[command(
    bin_name = "cargo bench --bench search --",
    about = "Time searches over a generated installation."
)]
struct Args {
    /// Tickets to generate [default: 1,000,000 under `cargo bench`; 2,000 otherwise].
    #[arg(long)]
    tickets: Option<u64>,
    /// Transactions per ticket on average, the Create included.
    #[arg(long, default_value_t = 5)]
    transactions_per_ticket: u64,
    #[arg(long, default_value_t = 50)]
    queues: u64,
    #[arg(long, default_value_t = 200)]
    staff: u64,
    /// Requestors [default: one per ten tickets, at most 100,000].
    #[arg(long)]
    requestors: Option<u64>,
    /// Times each query runs (the first run is a warm-up and not counted).
    #[arg(long, default_value_t = 21)]
    runs: usize,
    /// Keep the database in this directory, and reuse it if it is already there.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use the PostgreSQL database at this URL (`host=... port=... user=... dbname=...` or
    /// `postgres://.../NAME`) instead of SQLite: created if missing, filled if empty,
    /// reused if filled before. Not with --data-dir.
    #[arg(long, conflicts_with = "data_dir")]
    database_url: Option<String>,
    /// Print each TicketSQL query's compiled SQL and parameters (as `tkt search --sql`)
    /// before timing it: for EXPLAIN.
    #[arg(long)]
    sql: bool,
    /// Passed by `cargo bench` (not by `cargo test`) to every `harness = false` target.
    #[arg(long, hide = true)]
    bench: bool,
}

/// A small, fast, seeded random source (xorshift64*): the same data on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Words with Zipf frequencies: the commonest English words first, then made-up ones.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

const COMMON: &str = "the of and to a in is it you that he was for on are with as I his they be at one have \
    this from or had by not word but what some we can out other were all there when up use your how said an each \
    she which do their time if will way about many then them write would like so these her long make thing see \
    him two has look more day could go come did number sound no most people my over know water than call first \
    who may down side been now find printer network server mail email password account error problem ticket \
    please help thanks urgent broken slow access login vpn switch router disk backup license install update \
    outage screen laptop phone wifi connection certificate firewall dns queue request reply";

impl Vocabulary {
    fn new(size: usize, rng: &mut Rng) -> Vocabulary {
        let mut words: Vec<String> = COMMON.split_whitespace().map(str::to_lowercase).collect();
        let syllables = [
            "ka", "lo", "ri", "ten", "mar", "us", "pel", "do", "vi", "sta", "ne", "or", "gu", "im",
        ];
        while words.len() < size {
            let n = 2 + rng.below(3) as usize;
            let word: String = (0..n)
                .map(|_| syllables[rng.below(syllables.len() as u64) as usize])
                .collect();
            if !words.contains(&word) || words.len() > size / 2 {
                words.push(word);
            }
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let target = rng.unit() * self.cumulative.last().copied().unwrap_or(1.0);
        let i = self.cumulative.partition_point(|c| *c < target);
        &self.words[i.min(self.words.len() - 1)]
    }

    fn text(&self, rng: &mut Rng, words: usize) -> String {
        let mut text = String::new();
        for n in 0..words {
            if n > 0 {
                text.push(if n % 12 == 0 { '\n' } else { ' ' });
            }
            text.push_str(self.word(rng));
        }
        text
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tickets = args.tickets.unwrap_or(if args.bench { 1_000_000 } else { 2_000 });
    let requestors = args.requestors.unwrap_or((tickets / 10).clamp(10, 100_000));
    let temp = tempfile::tempdir()?;
    let location = match &args.database_url {
        Some(url) => {
            create_database_if_missing(url)?;
            Location::Postgres(url.clone())
        }
        None => Location::Sqlite(args.data_dir.clone().unwrap_or_else(|| temp.path().to_path_buf())),
    };
    let mut store = Store::open_at(&location)?;
    let start = Instant::now();
    let generated = store.db().user_by_name_or_email("staff-17@tickets.example")?.is_some();
    if !generated {
        generate(&mut store, &args, tickets, requestors)?;
        println!(
            "generated   {tickets} tickets in {:.1} s",
            start.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing     {location:?}");
    }
    // the tickets there, which a reused database says better than --tickets
    let reader = Reader::open(&location)?;
    let count: i64 = sql::one(reader.conn(), "SELECT count(*) FROM tickets", [], |r| r.get(0))?;
    let size = match &location {
        Location::Sqlite(dir) => {
            let db_path = dir.join(ticketd::store::DATABASE_FILE);
            std::fs::metadata(&db_path)?.len() + wal_size(&db_path)
        }
        // tables, indexes and TOAST, without the server's WAL
        Location::Postgres(_) => sql::one(reader.conn(), "SELECT pg_database_size(current_database())", [], |r| {
            r.get::<i64>(0)
        })? as u64,
    };
    drop(reader);
    println!(
        "database    {location:?}: {count} tickets, {:.2} GiB ({:.1} KiB per ticket)",
        size as f64 / (1u64 << 30) as f64,
        size as f64 / 1024.0 / count.max(1) as f64
    );
    run_queries(&store, &args)?;
    Ok(())
}

/// Creates the database `url` names, with the C collation ticketd needs, unless it exists:
/// through the server's `postgres` database, so the URL's user must be allowed to.
fn create_database_if_missing(url: &str) -> anyhow::Result<()> {
    let config: postgres::Config = url.parse().context("--database-url is not a PostgreSQL URL")?;
    let Some(name) = config.get_dbname().map(str::to_string) else {
        return Ok(()); // the user's own database, which PostgreSQL does not make either
    };
    let mut admin_config = config.clone();
    admin_config.dbname("postgres");
    let mut admin = admin_config
        .connect(postgres::NoTls)
        .context("connecting to the server's `postgres` database")?;
    let exists = !admin
        .query("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
        .is_empty();
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
            ))
            .with_context(|| format!("creating the database {name}"))?;
        println!("created     the database {name}");
    }
    Ok(())
}

fn wal_size(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

fn generate(store: &mut Store, args: &Args, tickets: u64, requestors: u64) -> anyhow::Result<()> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let vocabulary = Vocabulary::new(20_000, &mut rng);
    // two years of tickets, ending now
    let end: Timestamp = chrono::Utc::now();
    let span = Duration::from_secs(2 * 365 * 86_400);
    let begin = end - chrono::Duration::from_std(span)?;
    let tx = store.begin()?;
    let queues: Vec<i64> = (0..args.queues)
        .map(|n| {
            let name = format!("queue-{n}");
            tx.create_queue(
                &name,
                &format!("{name}@tickets.example"),
                &format!("{name}-comment@tickets.example"),
                begin,
            )
            .map(|q| q.id)
        })
        .collect::<Result<_, _>>()?;
    let staff: Vec<i64> = (0..args.staff)
        .map(|n| {
            tx.ensure_user(&format!("staff-{n}@tickets.example"), "", true, begin)
                .map(|u| u.id)
        })
        .collect::<Result<_, _>>()?;
    let people: Vec<i64> = (0..requestors)
        .map(|n| {
            tx.ensure_user(&format!("user-{n}@example.net"), "", false, begin)
                .map(|u| u.id)
        })
        .collect::<Result<_, _>>()?;
    tx.commit()?;
    let batch = 5_000;
    let step = span.as_secs_f64() / tickets as f64;
    let mut made = 0;
    let started = Instant::now();
    while made < tickets {
        let tx = store.begin()?;
        for n in made..(made + batch).min(tickets) {
            let created = begin + chrono::Duration::milliseconds((n as f64 * step * 1000.0) as i64);
            let age = (end - created).num_days();
            // old tickets are mostly done; new ones mostly not
            let roll = rng.below(100);
            let status = match (age > 30, roll) {
                (true, 0..=84) => "resolved",
                (true, 85..=89) => "rejected",
                (true, 90..=94) => "stalled",
                (true, _) => "open",
                (false, 0..=29) => "new",
                (false, 30..=64) => "open",
                (false, 65..=74) => "stalled",
                (false, _) => "resolved",
            };
            let owner = if status == "new" || rng.below(10) < 2 {
                ticketd::user::NOBODY_ID
            } else {
                staff[rng.below(staff.len() as u64) as usize]
            };
            // a few queues get most of the mail
            let queue = queues[(rng.unit().powi(2) * queues.len() as f64) as usize % queues.len()];
            let requestor = people[(rng.unit().powi(3) * people.len() as f64) as usize % people.len()];
            let words = 3 + rng.below(5) as usize;
            let subject = vocabulary.text(&mut rng, words);
            let ticket = tx.insert_ticket(&NewTicket {
                queue_id: queue,
                subject: &subject,
                status: Status::named(status),
                owner_id: owner,
                priority: rng.below(100) as i64,
                final_priority: 0,
                creator_id: requestor,
                now: created,
            })?;
            tx.add_watcher(ticket, Role::Requestor, requestor)?;
            let count = 1 + rng.below(2 * (args.transactions_per_ticket - 1) + 1);
            let mut when = created;
            for k in 0..count {
                let (kind, actor) = match (k, rng.below(3)) {
                    (0, _) => (TransactionKind::Create, requestor),
                    (_, 0) => (TransactionKind::Comment, staff[rng.below(staff.len() as u64) as usize]),
                    (_, 1) => (TransactionKind::Correspond, requestor),
                    _ => (
                        TransactionKind::Correspond,
                        staff[rng.below(staff.len() as u64) as usize],
                    ),
                };
                let words = 20 + rng.below(60) as usize;
                let content = vocabulary.text(&mut rng, words);
                tx.insert_transaction(&NewTransaction {
                    content: &content,
                    ..NewTransaction::new(ticket, kind, actor, when)
                })?;
                when += chrono::Duration::minutes(10 + rng.below(3000) as i64);
            }
        }
        tx.commit()?;
        made = (made + batch).min(tickets);
        if made % 100_000 == 0 || made == tickets {
            let rate = made as f64 / started.elapsed().as_secs_f64();
            println!("  {made} tickets ({rate:.0}/s)");
        }
    }
    let loaded = started.elapsed();
    store.optimize()?;
    println!(
        "  loaded in {:.1} s; the index optimized and statistics gathered (SQLite: FTS5 \
         optimize and ANALYZE; PostgreSQL: VACUUM ANALYZE) in {:.1} s",
        loaded.as_secs_f64(),
        (started.elapsed() - loaded).as_secs_f64()
    );
    Ok(())
}

/// One timed query.
struct Timed {
    name: &'static str,
    what: String,
    results: usize,
    median: Duration,
    p99: Duration,
    /// The median of the query alone (`search_ids`), without loading the tickets.
    ids: Option<Duration>,
}

fn run_queries(store: &Store, args: &Args) -> anyhow::Result<()> {
    let db = store.db();
    let lifecycle = Lifecycle::default_lifecycle();
    let lifecycles = [&lifecycle];
    let now = chrono::Utc::now();
    let grants = db.grants()?;
    let staff = db
        .user_by_name_or_email("staff-17@tickets.example")?
        .ok_or_else(|| anyhow::anyhow!("no staff-17: not a generated database"))?;
    let staff_view = Viewer::new(&grants, db.principal(&staff)?);
    let requestor = db
        .user_by_name_or_email("user-42@example.net")?
        .ok_or_else(|| anyhow::anyhow!("no user-42"))?;
    let requestor_view = Viewer::new(&grants, db.principal(&requestor)?);
    let as_staff = Some(&staff_view);
    let as_requestor = Some(&requestor_view);
    let ticketsql: [(&'static str, &str); 8] = [
        (
            "active tickets of a queue by priority",
            "Queue = 'queue-3' AND Status = '__Active__' ORDER BY Priority DESC LIMIT 50",
        ),
        ("unowned new tickets", "Owner = 'Nobody' AND Status = 'new' LIMIT 50"),
        (
            "a requestor's history",
            "Requestor = 'user-42@example.net' ORDER BY Created DESC LIMIT 50",
        ),
        ("a phrase in content", "Content LIKE '\"printer network\"' LIMIT 50"),
        (
            "content AND status AND date range",
            "Content LIKE 'password' AND Status = 'resolved' AND Created > '-400 days' AND Created < '-300 days' LIMIT 50",
        ),
        (
            "my open tickets",
            "Owner = '__CurrentUser__' AND Status = 'open' ORDER BY Priority DESC LIMIT 50",
        ),
        (
            "recently updated in two queues",
            "Queue IN ('queue-1', 'queue-2') AND Updated > '-7 days' ORDER BY Updated DESC LIMIT 50",
        ),
        (
            "subject words, simple search",
            "(Subject LIKE 'server' OR Content LIKE 'server') AND Status = '__Active__' LIMIT 50",
        ),
    ];
    let mut timed = Vec::new();
    for (name, text) in ticketsql {
        let query = parse(text, now)?;
        if args.sql {
            let compiled = compile_query(&query, as_staff, &lifecycles, true, db.dialect());
            println!("{name}:\n  {}\n  {:?}", compiled.sql, compiled.params_json());
        }
        let (results, median, p99) = time(args.runs, || Ok(db.search(&query, as_staff, &lifecycles)?.len()))?;
        let (_, ids, _) = time(args.runs, || Ok(db.search_ids(&query, as_staff, &lifecycles)?.len()))?;
        timed.push(Timed {
            name,
            what: text.into(),
            results,
            median,
            p99,
            ids: Some(ids),
        });
    }
    let own = parse(
        "Status = '__Active__' OR Status = 'resolved' ORDER BY Updated DESC LIMIT 50",
        now,
    )?;
    if args.sql {
        let compiled = compile_query(&own, as_requestor, &lifecycles, true, db.dialect());
        println!("own tickets:\n  {}\n  {:?}", compiled.sql, compiled.params_json());
    }
    let (results, median, p99) = time(args.runs, || Ok(db.search(&own, as_requestor, &lifecycles)?.len()))?;
    let (_, ids, _) = time(args.runs, || Ok(db.search_ids(&own, as_requestor, &lifecycles)?.len()))?;
    timed.push(Timed {
        name: "a requestor's own tickets, as that requestor",
        what: "Status = '__Active__' OR Status = 'resolved' ORDER BY Updated DESC LIMIT 50 (with their rights)".into(),
        results,
        median,
        p99,
        ids: Some(ids),
    });
    let by = [parse_grouping("Queue")?, parse_grouping("Status")?];
    let all = Query::default();
    let (results, median, p99) = time(args.runs, || Ok(db.report(&all, &by, as_staff, &lifecycles)?.len()))?;
    timed.push(Timed {
        name: "report by status per queue",
        what: "tkt report '' --by Queue --by Status".into(),
        results,
        median,
        p99,
        ids: None,
    });
    let fts = fts_query("backup certificate")?;
    let (results, median, p99) = time(args.runs, || Ok(db.content_search(&fts, as_staff, 20)?.len()))?;
    timed.push(Timed {
        name: "ranked content search with snippets",
        what: "tkt search --content 'backup certificate'".into(),
        results,
        median,
        p99,
        ids: None,
    });
    println!();
    println!("| query | results | median ms | p99 ms | the query alone (ids), median ms |");
    println!("|---|---|---|---|---|");
    for t in &timed {
        println!(
            "| {} (`{}`) | {} | {:.1} | {:.1} | {} |",
            t.name,
            t.what,
            t.results,
            t.median.as_secs_f64() * 1000.0,
            t.p99.as_secs_f64() * 1000.0,
            t.ids.map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        );
    }
    Ok(())
}

/// Runs `f` `runs` times after one warm-up; the result count, median and p99.
fn time(runs: usize, mut f: impl FnMut() -> anyhow::Result<usize>) -> anyhow::Result<(usize, Duration, Duration)> {
    let results = f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).min(times.len()) - 1];
    Ok((results, median, p99))
}
