"""One module per subcommand. Commands only wire: settings -> source -> analysis -> renderer."""
