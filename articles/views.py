from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def dashboard(request):
    return HttpResponse("Newsroom")


@login_required
def review(request, pk):
    return HttpResponse("Article")
