//! Supervision: the state machine of one service and the process runner around it
