//! Unit tests and the deterministic simulation.

mod core_findings;
mod engine_tests;
mod replay_tests;
mod settings_tests;
mod sim;
mod support;
