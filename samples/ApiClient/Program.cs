using ApiClient.Cli;

return await ApiClientCommand.Create().Parse(args).InvokeAsync();
