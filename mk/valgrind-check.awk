# mk/valgrind-check.awk — read the valgrind logs of one program (the runtime
# and the child it cloned) and fail on anything but a clean run:
#   - any message before the descriptor report is an error (valgrind -q
#     prints nothing else), except its notes on ioctls it does not model
#     (set_ns's NS_GET_NSTYPE);
#   - in the report at exit, a descriptor that was not "<inherited from
#     parent>" is one the program opened and left open.
FNR == 1 { report = 0 }
/FILE DESCRIPTORS:/ { report = 1; next }
report && /Open .*(descriptor|socket) [0-9]+:/ {
	line = $0
	if ((getline next_line) > 0 && next_line !~ /inherited from parent/) {
		print FILENAME ": left open: " line
		bad = 1
	}
	next
}
/noted but unhandled ioctl|could cause spurious value errors|README_MISSING_SYSCALL_OR_IOCTL/ { next }
!report && /^==[0-9]+== [^ ]/ { print FILENAME ": " $0; bad = 1 }
END { exit bad }
