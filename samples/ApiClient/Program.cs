using ApiClient.Cli;

return await ApiClientCommand.InvokeAsync(args);
