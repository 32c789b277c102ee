-- wrk: POST with an empty body, as CreateTicket is sent.
wrk.method = "POST"
wrk.body = ""
wrk.headers["Accept"] = "application/json"
