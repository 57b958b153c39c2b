/* layer_check.c: the empty program each core subsystem is linked into, whole,
 * with only the subsystems below it (cmake/ConcertdSubsystem.cmake). It runs
 * nothing: that it links is the check. */
int main(void) { return 0; }
