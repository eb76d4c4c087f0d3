{application, otp_app_demo,
 [{description, "a small application for the conformance corpus"},
  {vsn, "1.2.3"},
  {modules, [otp_app_demo]},
  {registered, [otp_app_demo_sup, otp_app_demo_server]},
  {applications, [kernel, stdlib, otp_app_demo_lib]},
  {mod, {otp_app_demo, [from_app_file]}},
  {env, [{greeting, "hello"}, {limit, 3}]}]}.
