"""The workspace URLconf plus a view whose query fails in the database, for the metrics tests."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from project.urls_tenant import urlpatterns as workspace_urlpatterns


def database_error(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")
    return HttpResponse("unreachable")


urlpatterns = [path("database-error/", database_error), *workspace_urlpatterns]

handler500 = "project.views.server_error"
