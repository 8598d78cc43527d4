//! Decides which tests this machine runs. The Postfix end-to-end tests reconfigure the
//! machine's own Postfix, so they are compiled as `#[ignore]`d (and shown as such in the
//! test runner's summary, with the reason) unless CI (`CI=true`) or the person running
//! them (`TICKETD_POSTFIX_TESTS=1`) asks for them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postfix_tests)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=TICKETD_POSTFIX_TESTS");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let asked = std::env::var("TICKETD_POSTFIX_TESTS").is_ok_and(|v| v == "1");
    if ci || asked {
        println!("cargo::rustc-cfg=postfix_tests");
    }
}
