//! improvements
