"""What sharing a deck needs: the lock file (what the last build gave each card), note
identity (guids that survive edits and moves), the change plan and its report, and the
near-duplicate check. The build asks it which guid and note id each card keeps."""
