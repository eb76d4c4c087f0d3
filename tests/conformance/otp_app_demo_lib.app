{application, otp_app_demo_lib,
 [{description, "a library application: no callback module"},
  {vsn, "0.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, [{colour, blue}]}]}.
