%% Header with an error in it (used by include_bad_header.bl).
-record(hdr, {a, b}).
-define(BROKEN, ).
-define(HDR_FUN, hdr_fun).
bad_in_header( -> ok.
