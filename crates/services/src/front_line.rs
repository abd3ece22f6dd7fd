//! front_line
